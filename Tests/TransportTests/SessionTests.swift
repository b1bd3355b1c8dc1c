import Foundation
import Testing

@testable import SSHTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Shared setup: one sshd for the read-only tests in this suite.
final class Env: @unchecked Sendable {
    static let shared: Env = try! Env()
    let sshd: SSHD
    let knownHosts: String
    let dir: String

    private init() throws {
        sshd = try SSHD()
        dir = try makeTempDir("esuctl-kh")
        knownHosts = dir + "/known_hosts"
        try sshd.writeKnownHosts(knownHosts)
    }

    func options(policy: HostKeyPolicy = .strict, timeout: Double = 5) throws -> ConnectOptions {
        ConnectOptions(knownHosts: try KnownHostsStore(path: knownHosts), hostKeyPolicy: policy, connectTimeout: timeout)
    }

    func session(key: String? = nil) throws -> SSHSession {
        try SSHSession.open(
            host: "127.0.0.1", port: sshd.port, options: options(),
            credentials: Credentials(user: "root", privateKeyFiles: [key ?? ClientKeys.shared.ed25519]))
    }
}

func expectSSHError(_ body: () throws -> Void) -> SSHError? {
    do {
        try body()
    } catch let e as SSHError {
        return e
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
    Issue.record("expected an SSHError, got success")
    return nil
}

@Suite struct AuthenticationTests {
    @Test(arguments: ["ed25519", "ecdsa", "rsa"])
    func keyFileOfEachTypeLogsIn(type: String) throws {
        let k = ClientKeys.shared
        let path = ["ed25519": k.ed25519, "ecdsa": k.ecdsa, "rsa": k.rsa][type]!
        let s = try Env.shared.session(key: path)
        #expect(s.isAuthenticated)
        let r = try s.exec("id -un")
        #expect(String(decoding: r.stdout, as: UTF8.self) == "root\n")
    }

    @Test func keyNotAuthorizedIsRefusedNamingOfferedMethods() throws {
        let e = expectSSHError {
            _ = try SSHSession.open(
                host: "127.0.0.1", port: Env.shared.sshd.port, options: Env.shared.options(),
                credentials: Credentials(user: "root", privateKeyFiles: [ClientKeys.shared.stranger]))
        }
        guard case .authenticationFailed(let user, _, let offered, let tried)? = e else {
            Issue.record("got \(String(describing: e))"); return
        }
        #expect(user == "root")
        #expect(offered.contains("publickey") && offered.contains("password"))
        #expect(tried == ["publickey \(ClientKeys.shared.stranger)"])
        #expect(e!.description.contains("offered publickey"))
    }

    @Test func encryptedKeyWithPassphrase() throws {
        let s = try SSHSession.open(
            host: "127.0.0.1", port: Env.shared.sshd.port, options: Env.shared.options(),
            credentials: Credentials(
                user: "root", privateKeyFiles: [ClientKeys.shared.encrypted],
                passphrase: { _ in Secret(ClientKeys.passphrase) }))
        #expect(try s.exec("true").status == .exited(0))
    }

    @Test func encryptedKeyWrongOrMissingPassphrase() throws {
        let path = ClientKeys.shared.encrypted
        let wrong = expectSSHError {
            _ = try SSHSession.open(
                host: "127.0.0.1", port: Env.shared.sshd.port, options: Env.shared.options(),
                credentials: Credentials(user: "root", privateKeyFiles: [path], passphrase: { _ in Secret("nope") }))
        }
        #expect(wrong == .privateKeyPassphraseWrong(path: path))
        #expect(!wrong!.description.contains("nope"))
        let missing = expectSSHError {
            _ = try SSHSession.open(
                host: "127.0.0.1", port: Env.shared.sshd.port, options: Env.shared.options(),
                credentials: Credentials(user: "root", privateKeyFiles: [path]))
        }
        #expect(missing == .privateKeyPassphraseNeeded(path: path))
    }

    @Test func passwordSucceedsAndFails() throws {
        let ok = try SSHSession.open(
            host: "127.0.0.1", port: Env.shared.sshd.port, options: Env.shared.options(),
            credentials: Credentials(user: ClientKeys.testUser, password: Secret(ClientKeys.testPassword)))
        #expect(String(decoding: try ok.exec("id -un").stdout, as: UTF8.self) == "\(ClientKeys.testUser)\n")

        let e = expectSSHError {
            _ = try SSHSession.open(
                host: "127.0.0.1", port: Env.shared.sshd.port, options: Env.shared.options(),
                credentials: Credentials(user: ClientKeys.testUser, password: Secret("wrong-password-123")))
        }
        guard case .authenticationFailed(_, _, let offered, let tried)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(tried == ["password"])
        #expect(offered.contains("password"))
        #expect(!e!.description.contains("wrong-password-123"))
    }

    @Test func noCredentialAtAllSaysWhatServerOffers() throws {
        let e = expectSSHError {
            _ = try SSHSession.open(
                host: "127.0.0.1", port: Env.shared.sshd.port, options: Env.shared.options(),
                credentials: Credentials(user: "root"))
        }
        guard case .noAuthenticationMethod(_, _, let offered)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(offered.contains("publickey"))
    }

    @Test func agentSucceedsAndFails() throws {
        let dir = try makeTempDir("esuctl-agent")
        let sock = dir + "/agent.sock"
        let agent = try Spawned("/usr/bin/ssh-agent", ["-D", "-a", sock])
        defer { agent.stop() }
        // Readiness: ssh-add succeeds once the agent listens.
        var added = false
        for _ in 0..<300 where !added {
            added = (try? run("/usr/bin/ssh-add", ["-q", ClientKeys.shared.stranger], env: ["SSH_AUTH_SOCK": sock])) != nil
            if !added { usleep(10_000) }
        }
        #expect(added)
        let creds = Credentials(user: "root", useAgent: true, agentSocket: sock)
        let e = expectSSHError {
            _ = try SSHSession.open(host: "127.0.0.1", port: Env.shared.sshd.port, options: Env.shared.options(), credentials: creds)
        }
        guard case .authenticationFailed(_, _, _, let tried)? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(tried == ["ssh-agent"])

        try run("/usr/bin/ssh-add", ["-q", ClientKeys.shared.ecdsa], env: ["SSH_AUTH_SOCK": sock])
        let s = try SSHSession.open(host: "127.0.0.1", port: Env.shared.sshd.port, options: Env.shared.options(), credentials: creds)
        #expect(try s.exec("true").status == .exited(0))
    }
}

@Suite struct HostKeyTests {
    let creds = Credentials(user: "root", privateKeyFiles: [ClientKeys.shared.ed25519])

    @Test func strictRefusesUnknownKeyWithFingerprint() throws {
        let dir = try makeTempDir("esuctl-kh")
        let store = try KnownHostsStore(path: dir + "/known_hosts")  // does not exist
        let e = expectSSHError {
            _ = try SSHSession.connect(host: "127.0.0.1", port: Env.shared.sshd.port, options: ConnectOptions(knownHosts: store))
        }
        let fp = try Env.shared.sshd.fingerprint()
        #expect(e == .hostKeyUnknown(host: "[127.0.0.1]:\(Env.shared.sshd.port)", keyType: "ED25519", fingerprint: fp, knownHosts: dir + "/known_hosts"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/known_hosts"))
    }

    @Test func changedKeyIsRefusedShowingBothFingerprints() throws {
        // A server with a different ed25519 key at the address known_hosts already vouches for.
        let impostor = try SSHD()
        let dir = try makeTempDir("esuctl-kh")
        let path = dir + "/known_hosts"
        try ("# comment\n" + Env.shared.sshd.knownHostsLines().replacingOccurrences(
            of: "\(Env.shared.sshd.port)", with: "\(impostor.port)")).write(toFile: path, atomically: true, encoding: .utf8)
        for policy in HostKeyPolicy.allCases {
            let e = expectSSHError {
                _ = try SSHSession.connect(host: "127.0.0.1", port: impostor.port,
                    options: ConnectOptions(knownHosts: try KnownHostsStore(path: path), hostKeyPolicy: policy))
            }
            let expected = try Env.shared.sshd.fingerprint()
            let offered = try impostor.fingerprint()
            #expect(expected != offered)
            #expect(e == .hostKeyChanged(host: "[127.0.0.1]:\(impostor.port)", keyType: "ED25519", offered: offered,
                                         expected: [expected], knownHosts: path, line: 2))
            #expect(e!.description.contains(expected) && e!.description.contains(offered))
        }
        // accept-new must not have overwritten or added anything.
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test func acceptNewRecordsThenStrictAccepts() throws {
        let dir = try makeTempDir("esuctl-kh")
        let path = dir + "/sub/known_hosts"
        let port = Env.shared.sshd.port
        let s = try SSHSession.connect(host: "127.0.0.1", port: port,
            options: ConnectOptions(knownHosts: try KnownHostsStore(path: path), hostKeyPolicy: .acceptNew))
        try s.authenticate(creds)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == Env.shared.sshd.knownHostsLines())
        // OpenSSH itself accepts the recorded line.
        let found = try run("/usr/bin/ssh-keygen", ["-F", "[127.0.0.1]:\(port)", "-f", path])
        #expect(found.contains("ssh-ed25519"))
        _ = try SSHSession.connect(host: "127.0.0.1", port: port,
            options: ConnectOptions(knownHosts: try KnownHostsStore(path: path), hostKeyPolicy: .strict))
    }

    @Test func hashedEntriesMatch() throws {
        let dir = try makeTempDir("esuctl-kh")
        let path = dir + "/known_hosts"
        try Env.shared.sshd.writeKnownHosts(path)
        try run("/usr/bin/ssh-keygen", ["-q", "-H", "-f", path])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("|1|"))
        #expect(!text.contains("127.0.0.1"))
        let s = try SSHSession.connect(host: "127.0.0.1", port: Env.shared.sshd.port,
            options: ConnectOptions(knownHosts: try KnownHostsStore(path: path)))
        #expect(s.hostKeyFingerprint == (try Env.shared.sshd.fingerprint()))
    }

    @Test func patternMatchingFollowsOpenSSH() {
        #expect(KnownHostsStore.matches("host1,[127.0.0.1]:2222", "[127.0.0.1]:2222"))
        #expect(!KnownHostsStore.matches("127.0.0.1", "[127.0.0.1]:2222"))
        #expect(KnownHostsStore.matches("*.example.com", "a.example.com"))
        #expect(!KnownHostsStore.matches("*.example.com,!bad.example.com", "bad.example.com"))
        #expect(KnownHostsStore.matches("web?", "web1"))
        #expect(!KnownHostsStore.matches("web?", "web12"))
    }

    @Test func dnsNameAndIPv6Loopback() throws {
        let v6 = try SSHD(listen: "::1")
        let dir = try makeTempDir("esuctl-kh")
        let path = dir + "/known_hosts"
        try (v6.knownHostsLines(host: "::1")).write(toFile: path, atomically: true, encoding: .utf8)
        let s = try SSHSession.open(host: "::1", port: v6.port, options: ConnectOptions(knownHosts: try KnownHostsStore(path: path)), credentials: creds)
        #expect(try s.exec("true").status == .exited(0))

        try Env.shared.sshd.writeKnownHosts(path, host: "localhost")
        let byName = try SSHSession.open(host: "localhost", port: Env.shared.sshd.port,
            options: ConnectOptions(knownHosts: try KnownHostsStore(path: path)), credentials: creds)
        #expect(try byName.exec("true").status == .exited(0))
    }
}

@Suite struct ConnectFailureTests {
    @Test func refusedPort() throws {
        let port = freePort()  // bound and released: nothing listens there now
        let e = expectSSHError { _ = try SSHSession.connect(host: "127.0.0.1", port: port, options: Env.shared.options()) }
        #expect(e == .connectionRefused(host: "127.0.0.1", port: port))
    }

    @Test func loopbackListenerThatNeverAcceptsTimesOut() throws {
        // A listening socket whose accept queue is full: the kernel drops further SYNs, exactly
        // like a host that does not answer.
        let lfd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(lfd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                #expect(bind(lfd, $0, len) == 0)
                #expect(listen(lfd, 0) == 0)
                _ = getsockname(lfd, $0, &len)
            }
        }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        // Fill the queue; each filler completes its handshake until the queue is full.
        for _ in 0..<4 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue), 0)
            withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = Glibc.connect(fd, $0, len) } }
            fillers.append(fd)
        }
        let start = Deadline.now()
        let e = expectSSHError { _ = try SSHSession.connect(host: "127.0.0.1", port: port, options: Env.shared.options(timeout: 1.5)) }
        let elapsed = Double(Deadline.now() - start) / 1e9
        // Depending on whether the kernel queued us, either TCP or the SSH handshake waits in vain.
        #expect(e == .connectTimedOut(host: "127.0.0.1", port: port, seconds: 1.5)
            || e == .handshakeTimedOut(host: "127.0.0.1", port: port, seconds: 1.5))
        // Upper bounds are generous for a loaded CI machine; without the timeout this never returns.
        #expect(elapsed >= 1.4 && elapsed < 30)
    }

    @Test func unresolvableName() throws {
        // .invalid is reserved (RFC 2606) and never resolves; no packet leaves the machine for it
        // beyond the local resolver.
        let e = expectSSHError { _ = try SSHSession.connect(host: "no-such-host.invalid", port: 22, options: Env.shared.options()) }
        guard case .nameResolutionFailed? = e else { Issue.record("got \(String(describing: e))"); return }
    }
}

@Suite struct ExecTests {
    @Test func stdoutStderrAndExitCodes() throws {
        let s = try Env.shared.session()
        let r = try s.exec("echo out; echo err >&2; exit 42")
        #expect(r.status == .exited(42))
        #expect(String(decoding: r.stdout, as: UTF8.self) == "out\n")
        #expect(String(decoding: r.stderr, as: UTF8.self) == "err\n")
        // The same session keeps working for further commands.
        #expect(try s.exec("exit 0").status == .exited(0))
        #expect(try s.exec("exit 255").exitCode == 255)
    }

    @Test func signalIsReported() throws {
        let s = try Env.shared.session()
        let r = try s.exec("kill -TERM $$")
        #expect(r.status == .signaled("TERM"))
        #expect(r.exitCode == nil)
    }

    @Test func stdinRoundTrip() throws {
        let s = try Env.shared.session()
        var bytes = [UInt8](repeating: 0, count: 3 << 20)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2654435761 >> 7) }
        let r = try s.exec("cat", options: ExecOptions(stdin: Data(bytes), timeout: 60, outputCap: 8 << 20))
        #expect(r.status == .exited(0))
        #expect(r.stdout == Data(bytes))
        // No stdin: EOF is sent, so a reader does not hang.
        let empty = try s.exec("cat; echo done", options: ExecOptions(timeout: 10))
        #expect(String(decoding: empty.stdout, as: UTF8.self) == "done\n")
    }

    @Test func twentyMegabytesIntact() throws {
        let dir = try makeTempDir("esuctl-big")
        let file = dir + "/big"
        var bytes = [UInt8](repeating: 0, count: 20 << 20)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: (i &* 31) ^ (i >> 11)) }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let s = try Env.shared.session()
        let r = try s.exec("cat \(file); echo tail >&2", options: ExecOptions(timeout: 120, outputCap: 32 << 20))
        #expect(r.status == .exited(0))
        #expect(r.stdout.count == bytes.count)
        #expect(r.stdout == Data(bytes))
        #expect(!r.stdoutTruncated)
        #expect(String(decoding: r.stderr, as: UTF8.self) == "tail\n")
    }

    @Test func outputCapTruncatesButKeepsStatus() throws {
        let s = try Env.shared.session()
        let r = try s.exec("head -c 5000000 /dev/zero; head -c 300000 /dev/zero >&2; exit 3",
                           options: ExecOptions(timeout: 60, outputCap: 1 << 20))
        #expect(r.status == .exited(3))
        #expect(r.stdout.count == 1 << 20)
        #expect(r.stdoutBytes == 5_000_000)
        #expect(r.stdoutTruncated)
        #expect(r.stderr.count == 300_000 && !r.stderrTruncated)
    }

    @Test func connectionDroppedMidCommandIsReported() throws {
        let s = try Env.shared.session()
        // $PPID is the sshd process serving this session: killing it drops the connection, as a
        // Windows restart does.
        let e = expectSSHError { _ = try s.exec("echo partial; kill -KILL $PPID; sleep 30", options: ExecOptions(timeout: 20)) }
        guard case .connectionLost? = e else { Issue.record("got \(String(describing: e))"); return }
        #expect(expectSSHError { _ = try s.exec("true") } == .sessionClosed(host: "127.0.0.1"))
    }

    @Test func timeoutEndsACommandThatSleepsForever() throws {
        let s = try Env.shared.session()
        let start = Deadline.now()
        let e = expectSSHError { _ = try s.exec("sleep 100000", options: ExecOptions(timeout: 1)) }
        let elapsed = Double(Deadline.now() - start) / 1e9
        #expect(e == .commandTimedOut(host: "127.0.0.1", seconds: 1))
        #expect(elapsed >= 0.9 && elapsed < 30) // the command sleeps for a day without the timeout
        // The channel was closed cleanly, so the connection is still good for the next command.
        #expect(try s.exec("echo again", options: ExecOptions(timeout: 10)).stdout == Data("again\n".utf8))
    }
}
