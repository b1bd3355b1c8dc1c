import Foundation
import Testing

@testable import Fleet
import Inventory
import SSHTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Hosts log in as the test user, whose /bin/sh reads no rc files: root's .bashrc on this
/// machine runs `pyenv rehash`, which serializes 200 concurrent logins on a lock file.
///
/// 13 sshds × 16 ports on 127.0.0.1 sharing one host key: 208 distinct SSH endpoints.
final class FleetEnv: @unchecked Sendable {
    static let shared: FleetEnv = try! FleetEnv()
    let servers: [SSHD]
    let dir: String
    let knownHosts: String
    var ports: [Int] { servers.flatMap(\.ports) }

    private init() throws {
        dir = try makeTempDir("esuctl-fleet")
        let key = dir + "/ssh_host_ed25519_key"
        try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])
        servers = try (0..<13).map { _ in try SSHD(portCount: 16, hostKey: key) }
        knownHosts = dir + "/known_hosts"
        try servers.map { $0.knownHostsLines() }.joined().write(toFile: knownHosts, atomically: true, encoding: .utf8)
    }

    /// An inventory of `count` hosts, `h001`..., each on its own port.
    func inventory(count: Int, extra: String = "") throws -> String {
        var text = "[fleet]\n"
        for (i, port) in ports.prefix(count).enumerated() {
            text += String(format: "h%03d", i + 1) + " ansible_host=127.0.0.1 ansible_port=\(port)\n"
        }
        text += "\n[fleet:vars]\nansible_user=\(ClientKeys.testUser)\nansible_ssh_private_key_file=\(ClientKeys.shared.ed25519)\n" + extra
        let path = dir + "/hosts-\(count)-\(UUID().uuidString).ini"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func options(parallel: Int) throws -> FleetOptions {
        FleetOptions(
            connect: ConnectOptions(knownHosts: try KnownHostsStore(path: knownHosts), connectTimeout: 20),
            parallel: parallel, defaultKeyFiles: [], useAgent: false)
    }
}

@Suite(.serialized) struct FleetTests {
    @Test func twoHundredHostsInOneExecRun() throws {
        let env = FleetEnv.shared
        var cmd = try ExecCommand.parse([
            "-i", try env.inventory(count: 200), "--parallel", "100", "--timeout", "60", "--json",
            "--known-hosts", env.knownHosts, "--", "echo", "\"$SSH_CONNECTION\"",
        ])
        cmd.connectTimeout = 30
        var stdout = "", stderr = ""
        let code = cmd.run(environment: [:], interactive: false) { text, err in
            if err { stderr += text } else { stdout += text }
        }
        #expect(stderr == "")
        let array = try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as! [[String: Any]]
        #expect(array.count == 200)
        for (i, (entry, port)) in zip(array, env.ports).enumerated() {
            #expect(entry["host"] as? String == String(format: "h%03d", i + 1))
            #expect(entry["ok"] as? Bool == true, "\(entry)")
            #expect(entry["exitCode"] as? Int == 0)
            #expect(entry["error"] is NSNull)
            // SSH_CONNECTION = "client-ip client-port server-ip server-port": proves which server answered.
            let fields = (entry["stdout"] as? String ?? "").split(separator: " ")
            #expect(fields.count == 4 && fields[3] == "\(port)\n", "\(entry)")
        }
        #expect(code == 0)
    }

    @Test func memoryStaysAtTheCapPerHost() throws {
        let env = FleetEnv.shared
        let targets = try Inventory.load(path: try env.inventory(count: 200)).hosts.map(FleetTarget.init)
        let cap = 64 * 1024
        let results = FleetRunner(options: try env.options(parallel: 200)).runBlocking(targets) { (s, _) throws(SSHError) in
            let r = try s.exec("head -c 1048576 /dev/zero", options: ExecOptions(timeout: 60, outputCap: cap))
            // Keep only what the cap allowed; prove the rest was counted, not held.
            return (r.stdout.count, r.stdoutBytes, r.status)
        }
        #expect(results.count == 200)
        for r in results {
            let (kept, total, status) = try r.get()
            #expect(kept == cap)
            #expect(total == 1 << 20)
            #expect(status == .exited(0))
        }
    }

    @Test func fiveHundredHostsAtParallel200() throws {
        let env = FleetEnv.shared
        let ports = env.ports
        let targets = (0..<500).map { i in
            FleetTarget(name: "n\(i)", address: "127.0.0.1", port: ports[i % ports.count], user: ClientKeys.testUser,
                        privateKeyFile: ClientKeys.shared.ed25519)
        }
        var options = try env.options(parallel: 200)
        options.connect.connectTimeout = 60
        let results = FleetRunner(options: options).runBlocking(targets) { (s, t) throws(SSHError) in
            try s.exec("echo \(t.name)", options: ExecOptions(timeout: 60)).stdout
        }
        for (t, r) in zip(targets, results) {
            #expect((try? r.get()) == Data("\(t.name)\n".utf8), "\(t.name): \(r)")
        }
    }

    @Test func oneHostsFailureOrHangDoesNotStallTheOthers() throws {
        let env = FleetEnv.shared
        // A loopback listener that accepts TCP and then never says anything (a hung sshd).
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(silent, $0, len); _ = listen(silent, 16); _ = getsockname(silent, $0, &len)
            }
        }
        let silentPort = Int(UInt16(bigEndian: addr.sin_port))
        let refusedPort = freePort()
        let good = env.ports.prefix(3)
        var targets = good.enumerated().map { FleetTarget(name: "good\($0.offset)", address: "127.0.0.1", port: $0.element, user: ClientKeys.testUser,
                                                          privateKeyFile: ClientKeys.shared.ed25519) }
        targets.insert(FleetTarget(name: "hung", address: "127.0.0.1", port: silentPort, user: ClientKeys.testUser), at: 1)
        targets.append(FleetTarget(name: "refused", address: "127.0.0.1", port: refusedPort, user: ClientKeys.testUser))
        targets.append(FleetTarget(name: "sleeper", address: "127.0.0.1", port: good.first!, user: ClientKeys.testUser,
                                   privateKeyFile: ClientKeys.shared.ed25519))
        var options = try env.options(parallel: 8)
        options.connect.connectTimeout = 2
        let start = Date()
        let results = FleetRunner(options: options).runBlocking(targets) { (s, t) throws(SSHError) in
            try s.exec(t.name == "sleeper" ? "sleep 1000" : "echo hi; exit 7", options: ExecOptions(timeout: 2))
        }
        let elapsed = Date().timeIntervalSince(start)
        // The sleeper alone would hold the run for 1,000 s; the bound leaves room for a loaded machine.
        #expect(elapsed < 60, "the hung host or the sleeper held up the run for \(elapsed) s")
        let byName = Dictionary(uniqueKeysWithValues: zip(targets.map(\.name), results))
        for g in ["good0", "good1", "good2"] { #expect((try? byName[g]!.get())?.status == .exited(7)) }
        #expect(throws: SSHError.handshakeTimedOut(host: "127.0.0.1", port: silentPort, seconds: 2)) { try byName["hung"]!.get() }
        #expect(throws: SSHError.connectionRefused(host: "127.0.0.1", port: refusedPort)) { try byName["refused"]!.get() }
        #expect(throws: SSHError.commandTimedOut(host: "127.0.0.1", seconds: 2)) { try byName["sleeper"]!.get() }

        let reports = zip(targets, results).map { ExecCommand.report($0.name, $1) }
        let text = ExecCommand.renderText(reports)
        #expect(text.contains("==> good0: FAILED (exit 7)\nhi\n"))
        #expect(text.contains("==> refused: NOT RUN: 127.0.0.1: connection to port \(refusedPort) refused"))
        #expect(text.hasSuffix("6 hosts: 0 ok, 3 failed, 3 not run (unreachable, refused or timed out)\n"))
    }

    @Test func execExitCodeReflectsEveryHost() throws {
        let env = FleetEnv.shared
        let inv = try env.inventory(count: 3)
        func run(_ args: [String]) throws -> (Int32, String) {
            var out = ""
            let code = try ExecCommand.parse(["-i", inv, "--known-hosts", env.knownHosts] + args)
                .run(environment: [:], interactive: false) { t, _ in out += t }
            return (code, out)
        }
        let (allOK, text) = try run(["--", "true"])
        #expect(allOK == 0)
        #expect(text.hasSuffix("3 hosts: 3 ok, 0 failed, 0 not run (unreachable, refused or timed out)\n"))
        let (someFail, _) = try run(["--limit", "h00[12]", "--", "test \"$SSH_CONNECTION\" != \"${SSH_CONNECTION% \(env.ports[0])}\""])
        #expect(someFail == 4)
        let (onlyFirst, out) = try run(["--limit", "h001", "--json", "--", "exit 0"])
        #expect(onlyFirst == 0)
        #expect(out.contains("\"host\" : \"h001\"") && !out.contains("h002"))
    }

    @Test func acceptNewFromManyThreadsRecordsEachHostOnce() throws {
        let env = FleetEnv.shared
        let dir = try makeTempDir("esuctl-kh")
        let path = dir + "/known_hosts"
        try "# pre-existing line without trailing newline".write(toFile: path, atomically: true, encoding: .utf8)
        let ports = Array(env.ports.prefix(16))
        let targets = ports.map { FleetTarget(name: "p\($0)", address: "127.0.0.1", port: $0, user: ClientKeys.testUser,
                                              privateKeyFile: ClientKeys.shared.ed25519) }
        var options = try env.options(parallel: 16)
        options.connect = ConnectOptions(knownHosts: try KnownHostsStore(path: path), hostKeyPolicy: .acceptNew)
        let results = FleetRunner(options: options).runBlocking(targets) { (s, _) throws(SSHError) in s.hostKeyFingerprint }
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 17)
        #expect(Set(lines.dropFirst()) == Set(env.servers.map { $0.knownHostsLines() }.joined().split(separator: "\n").filter { l in
            ports.contains { l.hasPrefix("[127.0.0.1]:\($0) ") } }))
    }

    @Test func usageErrors() {
        #expect(throws: ExecCommand.UsageError.self) { try ExecCommand.parse(["-i", "x"]) }
        #expect(throws: ExecCommand.UsageError.self) { try ExecCommand.parse(["--password", "hunter2", "--", "true"]) }
        #expect(throws: ExecCommand.UsageError.self) { try ExecCommand.parse(["--parallel", "0", "--", "true"]) }
        #expect(throws: ExecCommand.UsageError.self) { try ExecCommand.parse(["--host-key-policy", "yes", "--", "true"]) }
        let c = try? ExecCommand.parse(["-i", "inv.ini", "--limit", "web", "--parallel", "200", "--timeout", "5", "--json", "--", "echo", "a b"])
        #expect(c?.command == "echo a b" && c?.parallel == 200 && c?.timeout == 5 && c?.json == true && c?.limit == "web")
        var out = ""
        let code = ExecCommand().run(environment: [:], interactive: false) { t, _ in out += t }
        #expect(code == 2 && out.contains("inventory/hosts.ini"))
    }
}
