import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

enum FixtureError: Error, CustomStringConvertible {
    case command(String, Int32, String)
    case sshdNotReady(String)
    var description: String {
        switch self {
        case .command(let c, let s, let e): return "\(c) exited \(s): \(e)"
        case .sshdNotReady(let log): return "sshd did not start listening; its log:\n\(log)"
        }
    }
}

/// Runs a program to completion and returns its stdout.
@discardableResult
func run(_ path: String, _ args: [String], env: [String: String]? = nil, stdin: String? = nil) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let env { p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 } }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let inPipe = Pipe()
    p.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
    try p.run()
    if let stdin {
        inPipe.fileHandleForWriting.write(Data(stdin.utf8))
        try inPipe.fileHandleForWriting.close()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw FixtureError.command("\(path) \(args.joined(separator: " "))", p.terminationStatus, String(decoding: e, as: UTF8.self))
    }
    return String(decoding: o, as: UTF8.self)
}

/// A long-running child (sshd, ssh-agent) started with posix_spawn and reaped with waitpid.
/// Foundation's Process on Linux sometimes never notices such a child exit, so it is not used here.
/// Every child is also killed when the test process exits, so no sshd outlives the tests.
final class Spawned: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var reaped = false

    init(_ path: String, _ args: [String], stderrPath: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Dispatch worker threads block most signals and posix_spawn inherits that mask, which
        // would leave the child deaf to SIGTERM; give it a clean mask and default handlers.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, environ)
        guard rc == 0 else { throw FixtureError.command(path, rc, String(cString: strerror(rc))) }
        self.pid = pid
        Spawned.register(pid)
    }

    var isRunning: Bool {
        lock.withLock {
            if reaped { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { reaped = true }
            return !reaped
        }
    }

    func stop() {
        lock.withLock {
            guard !reaped else { return }
            kill(pid, SIGTERM)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            reaped = true
        }
        Spawned.unregister(pid)
    }

    deinit { stop() }

    private static let registryLock = NSLock()
    nonisolated(unsafe) private static var live: Set<pid_t> = []
    private static let installExitHook: Void = {
        atexit {
            Spawned.registryLock.lock()
            for pid in Spawned.live { kill(pid, SIGTERM) }
            Spawned.registryLock.unlock()
        }
    }()

    private static func register(_ pid: pid_t) {
        _ = installExitHook
        registryLock.withLock { _ = live.insert(pid) }
    }

    private static func unregister(_ pid: pid_t) {
        registryLock.withLock { _ = live.remove(pid) }
    }
}

func makeTempDir(_ prefix: String) throws -> String {
    var template = Array("/tmp/\(prefix).XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { throw FixtureError.command("mkdtemp", errno, "") }
    let path = String(cString: p)
    chmod(path, 0o755)  // sshd reads authorized_keys as the target user
    return path
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            _ = bind(fd, $0, len)
            _ = getsockname(fd, $0, &len)
        }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Client keys and a password user, created once per test process (never committed anywhere).
final class ClientKeys: Sendable {
    static let shared: ClientKeys = try! ClientKeys()
    static let passphrase = "correct horse battery staple"
    static let testUser = "esutest"
    static let testPassword = "Esu-Test-Passw0rd-7"

    let dir: String
    var ed25519: String { dir + "/id_ed25519" }
    var ecdsa: String { dir + "/id_ecdsa" }
    var rsa: String { dir + "/id_rsa" }
    var encrypted: String { dir + "/id_ed25519_enc" }
    /// A key that is in no authorized_keys file.
    var stranger: String { dir + "/id_stranger" }
    /// Authorized keys for every key above except the stranger.
    let authorizedKeys: String

    private init() throws {
        dir = try makeTempDir("esuctl-clientkeys")
        try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir + "/id_ed25519"])
        try run("/usr/bin/ssh-keygen", ["-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", dir + "/id_ecdsa"])
        try run("/usr/bin/ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", dir + "/id_rsa"])
        try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", ClientKeys.passphrase, "-f", dir + "/id_ed25519_enc"])
        try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", dir + "/id_stranger"])
        var auth = ""
        for k in ["id_ed25519", "id_ecdsa", "id_rsa", "id_ed25519_enc"] {
            auth += try String(contentsOfFile: dir + "/\(k).pub", encoding: .utf8)
        }
        authorizedKeys = dir + "/authorized_keys"
        try auth.write(toFile: authorizedKeys, atomically: true, encoding: .utf8)
        chmod(authorizedKeys, 0o644)
        // Idempotent: the user may exist from an earlier run; the password is reset either way.
        if (try? run("/usr/bin/id", [ClientKeys.testUser])) == nil {
            try run("/usr/sbin/useradd", ["-M", "-d", "/tmp", "-s", "/bin/sh", ClientKeys.testUser])
        }
        try run("/usr/sbin/chpasswd", [], stdin: "\(ClientKeys.testUser):\(ClientKeys.testPassword)\n")
    }
}

/// A real OpenSSH sshd on 127.0.0.1, listening on `ports`, with its own host key and config.
final class SSHD: @unchecked Sendable {
    let dir: String
    let ports: [Int]
    let hostKeyPub: String
    private let process: Spawned

    var port: Int { ports[0] }

    /// `hostKey`: an existing private host key file to reuse (so many servers share one identity).
    init(portCount: Int = 1, hostKeyType: String = "ed25519", hostKey: String? = nil,
         listen: String = "127.0.0.1", extraConfig: String = "") throws {
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let keys = ClientKeys.shared
        dir = try makeTempDir("esuctl-sshd")
        let key: String
        if let hostKey {
            key = hostKey
        } else {
            key = dir + "/ssh_host_\(hostKeyType)_key"
            try run("/usr/bin/ssh-keygen", ["-q", "-t", hostKeyType, "-N", "", "-f", key])
        }
        hostKeyPub = try String(contentsOfFile: key + ".pub", encoding: .utf8)
        var ports: [Int] = []
        while ports.count < portCount {
            let p = freePort()
            if !ports.contains(p) { ports.append(p) }
        }
        self.ports = ports
        let listenLines = ports.map { listen.contains(":") ? "ListenAddress [\(listen)]:\($0)" : "ListenAddress \(listen):\($0)" }
        let config = """
            \(listenLines.joined(separator: "\n"))
            HostKey \(key)
            PidFile \(dir)/sshd.pid
            AuthorizedKeysFile \(keys.authorizedKeys)
            UsePAM no
            StrictModes no
            PermitRootLogin yes
            PubkeyAuthentication yes
            PasswordAuthentication yes
            # libssh2 1.10 signs RSA user keys only with ssh-rsa (SHA-1), which OpenSSH >= 8.8 disables.
            PubkeyAcceptedAlgorithms +ssh-rsa
            KbdInteractiveAuthentication no
            MaxStartups 1000
            MaxSessions 100
            MaxAuthTries 10
            LogLevel ERROR
            Subsystem sftp internal-sftp
            \(extraConfig)

            """
        try config.write(toFile: dir + "/sshd_config", atomically: true, encoding: .utf8)
        process = try Spawned("/usr/sbin/sshd", ["-D", "-e", "-f", dir + "/sshd_config"], stderrPath: dir + "/sshd.log")
        try waitListening(listen)
    }

    /// Polls until every port accepts a TCP connection (readiness, not a timing guess).
    private func waitListening(_ listen: String) throws {
        for port in ports {
            var ok = false
            for _ in 0..<500 where !ok {
                let family = listen.contains(":") ? AF_INET6 : AF_INET
                let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
                if family == AF_INET {
                    var a = sockaddr_in()
                    a.sin_family = sa_family_t(AF_INET)
                    a.sin_addr.s_addr = inet_addr(listen)
                    a.sin_port = in_port_t(UInt16(port).bigEndian)
                    ok = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
                } else {
                    var a = sockaddr_in6()
                    a.sin6_family = sa_family_t(AF_INET6)
                    inet_pton(AF_INET6, listen, &a.sin6_addr)
                    a.sin6_port = in_port_t(UInt16(port).bigEndian)
                    ok = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 } }
                }
                close(fd)
                if !ok {
                    if !process.isRunning { break }
                    usleep(10_000)
                }
            }
            if !ok {
                stop()
                throw FixtureError.sshdNotReady((try? String(contentsOfFile: dir + "/sshd.log", encoding: .utf8)) ?? "")
            }
        }
    }

    /// known_hosts lines vouching for this server's key on each of its ports.
    func knownHostsLines(host: String = "127.0.0.1") -> String {
        let parts = hostKeyPub.split(separator: " ")
        return ports.map { "[\(host)]:\($0) \(parts[0]) \(parts[1])\n" }.joined()
    }

    func writeKnownHosts(_ path: String, host: String = "127.0.0.1") throws {
        try knownHostsLines(host: host).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `ssh-keygen -lf` fingerprint of the host key, as OpenSSH prints it.
    func fingerprint() throws -> String {
        let pub = dir + "/hostkey.pub"
        try hostKeyPub.write(toFile: pub, atomically: true, encoding: .utf8)
        return String(try run("/usr/bin/ssh-keygen", ["-lf", pub]).split(separator: " ")[1])
    }

    func stop() { process.stop() }

    deinit { stop() }
}
