import Digest
import ESUCore
import Foundation

/// A local simulated fleet: the guest simulator behind real OpenSSH `sshd` processes on loopback,
/// with the inventory, known_hosts, client key, ESU keys and payloads every other command needs.
public struct Lab {
    public struct Options: Sendable {
        public var dir: URL
        public var scenario: Scenario
        public var guests: Int?
        /// How long a simulated restart keeps a guest down.
        public var restartSeconds: Int
        public var guestBinary: URL

        public init(dir: URL, scenario: Scenario, guests: Int?, restartSeconds: Int, guestBinary: URL) {
            self.dir = dir; self.scenario = scenario; self.guests = guests
            self.restartSeconds = restartSeconds; self.guestBinary = guestBinary
        }
    }

    /// What `lab up` leaves in lab.json, so `lab down` can stop exactly what it started.
    public struct State: Codable, Sendable {
        public var scenario: String
        public var user: String
        public var sshdPids: [Int32]
        public var guests: [String: String] // name -> "127.0.0.1:port"
    }

    /// One sshd takes at most 16 ListenAddress lines.
    static let guestsPerSSHD = 16
    static let sshd = "/usr/sbin/sshd"
    static let labUser = "esuctl-lab"
    static let labHome = "/var/lib/esuctl-lab"

    public static func up(_ o: Options, progress: (String) -> Void = { _ in }) throws -> State {
        let fm = FileManager.default
        let dir = o.dir.standardizedFileURL
        if let state = try? readState(dir), state.sshdPids.contains(where: isAlive) {
            throw LabError.alreadyRunning(dir: dir.path)
        }
        guard fm.isExecutableFile(atPath: sshd) else {
            throw LabError.missingProgram(sshd, hint: "install Debian's openssh-server (scripts/install-deps does)")
        }
        guard fm.isExecutableFile(atPath: o.guestBinary.path) else {
            throw LabError.missingProgram(o.guestBinary.path, hint: "build it with `swift build` (it sits beside esuctl) or set ESUCTL_GUEST")
        }
        for sub in ["sshd", "guests", "payloads"] {
            try fm.createDirectory(at: dir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }

        // Sessions run as a user whose login shell is /bin/sh: root's bash would read .bashrc for
        // every simulated session (~130 ms of CPU each), which the benchmarks would then measure.
        let user = try sessionUser(dir: dir)

        progress("generating keys")
        let hostKey = dir.appendingPathComponent("sshd/ssh_host_ed25519_key")
        let clientKey = dir.appendingPathComponent("id_ed25519")
        for key in [hostKey, clientKey] where !fm.fileExists(atPath: key.path) {
            try run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "esuctl-lab", "-f", key.path])
        }
        let esuKeys = try writeESUKeys(dir)
        try writePayloads(dir)

        let guests = o.scenario.guests(count: o.guests)
        progress("preparing \(guests.count) simulated guests")
        for guest in guests {
            guard let profile = guest.profile else { continue } // nothing listens there: "unreachable"
            var args = ["init", "--lab", dir.path, "--guest", guest.name, "--profile", profile,
                        "--restart-seconds", String(o.restartSeconds), "--lang", guest.language]
            for (year, key) in esuKeys {
                args += ["--key-hash", "\(year):\(SHA256.hex(Data(key.revealForStdin().utf8)))"]
            }
            try run(o.guestBinary.path, args)
        }
        let served = guests.filter { $0.profile != nil }
        let pub = try String(contentsOf: clientKey.appendingPathExtension("pub"), encoding: .utf8)
        try Data(pub.utf8).write(to: dir.appendingPathComponent("sshd/authorized_keys"))
        if user != NSUserName() { try run("/bin/chown", ["-R", user, dir.appendingPathComponent("guests").path]) }

        progress("starting sshd")
        var state = State(scenario: o.scenario.rawValue, user: user, sshdPids: [], guests: [:])
        var endpoints: [String: String] = [:]
        // A port the kernel handed out can be taken by someone else before sshd binds it; sshd
        // then logs the failed bind, and the lab starts over with fresh ports.
        for attempt in 1...3 {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("sshd").path)) ?? []
            where file.hasSuffix(".log") {
                try? FileManager.default.removeItem(at: dir.appendingPathComponent("sshd/\(file)"))
            }
            let ports = try freeLoopbackPorts(guests.count)
            endpoints = Dictionary(uniqueKeysWithValues: zip(guests, ports).map { ($0.name, "127.0.0.1:\($1)") })
            state.guests = endpoints
            let mapping = Dictionary(uniqueKeysWithValues: served.map { (endpoints[$0.name]!, $0.name) })
            try JSONSerialization.data(withJSONObject: mapping, options: [.prettyPrinted, .sortedKeys])
                .write(to: dir.appendingPathComponent("guests.json"))
            var pids: [Int32] = []
            do {
                let servedPorts = served.map { Int(endpoints[$0.name]!.split(separator: ":")[1])! }
                for (i, start) in stride(from: 0, to: servedPorts.count, by: guestsPerSSHD).enumerated() {
                    let chunk = Array(servedPorts[start..<min(start + guestsPerSSHD, servedPorts.count)])
                    pids.append(try startSSHD(index: i, ports: chunk, dir: dir, user: user, guestBinary: o.guestBinary))
                    state.sshdPids = pids
                    try writeState(state, dir)
                }
                try waitUntilListening(servedPorts, dir: dir)
                let logs = sshdLogs(dir)
                if logs.contains("Bind to port") || logs.contains("Cannot bind") {
                    for pid in pids { kill(pid, SIGTERM) }
                    if attempt == 3 { throw LabError.sshdDidNotStart(log: logs) }
                    progress("a port was taken; retrying with others")
                    continue
                }
                break
            } catch {
                for pid in pids { kill(pid, SIGTERM) }
                throw error
            }
        }

        let hostKeyLine = try String(contentsOf: hostKey.appendingPathExtension("pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = served.map { "[127.0.0.1]:\(endpoints[$0.name]!.split(separator: ":")[1]) \(hostKeyLine)\n" }.joined()
        try Data(knownHosts.utf8).write(to: dir.appendingPathComponent("known_hosts"))
        try writeInventory(dir: dir, guests: guests, endpoints: endpoints, user: user, scenario: o.scenario)
        try writeState(state, dir)
        return state
    }

    /// Stops the lab's sshd processes and removes what `up` wrote.
    public static func down(dir: URL) throws {
        let dir = dir.standardizedFileURL
        guard let state = try? readState(dir) else { throw LabError.notALab(dir: dir.path) }
        for pid in state.sshdPids where isAlive(pid) { kill(pid, SIGTERM) }
        for pid in state.sshdPids {
            // sshd exits promptly on SIGTERM; give it a bounded time, then insist.
            var waited = 0
            while isAlive(pid), waited < 200 { usleep(10_000); waited += 1 }
            if isAlive(pid) { kill(pid, SIGKILL) }
        }
        let fm = FileManager.default
        for item in ["sshd", "guests", "payloads", "guests.json", "known_hosts", "inventory.ini", "esu-keys",
                     "id_ed25519", "id_ed25519.pub", "lab.json"] {
            try? fm.removeItem(at: dir.appendingPathComponent(item))
        }
        try? fm.removeItem(at: dir) // only if now empty
    }

    // MARK: - Pieces

    static func readState(_ dir: URL) throws -> State {
        try JSONDecoder().decode(State.self, from: Data(contentsOf: dir.appendingPathComponent("lab.json")))
    }

    static func writeState(_ state: State, _ dir: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(state).write(to: dir.appendingPathComponent("lab.json"), options: .atomic)
    }

    static func isAlive(_ pid: Int32) -> Bool { pid > 0 && kill(pid, 0) == 0 }

    static func sessionUser(dir: URL) throws -> String {
        guard getuid() == 0 else { return NSUserName() }
        if (try? run("/usr/bin/id", ["-u", labUser])) == nil {
            try run("/usr/sbin/useradd", ["--system", "--no-create-home", "--home-dir", labHome,
                                          "--shell", "/bin/sh", labUser])
        }
        // A home that exists keeps sshd from printing "Could not chdir" into every session.
        try FileManager.default.createDirectory(atPath: labHome, withIntermediateDirectories: true)
        try run("/bin/chown", [labUser, labHome])
        // useradd leaves the password locked ("!"), and without PAM sshd refuses every method,
        // public keys included, for a locked account. "*": no password, not locked.
        try run("/usr/sbin/usermod", ["-p", "*", "-d", labHome, labUser])
        // The lab user must reach the lab directory to read and write guest state.
        var url = dir
        while url.path != "/" {
            let attrs = try FileManager.default.attributesOfItem(atPath: url.path)
            if let perms = attrs[.posixPermissions] as? Int, perms & 0o001 == 0 {
                throw LabError.unusableDirectory(dir.path, reason: "\(url.path) is not searchable by other users (mode \(String(perms, radix: 8))); the lab's sessions run as \(labUser). Use a directory such as /tmp/esuctl-lab")
            }
            url.deleteLastPathComponent()
        }
        return labUser
    }

    /// Keys in the product-key alphabet that the simulated guests accept, one per ESU year.
    static func writeESUKeys(_ dir: URL) throws -> [(Int, ProductKey)] {
        let file = dir.appendingPathComponent("esu-keys")
        let alphabet = Array("BCDFGHJKMNPQRTVWXY2346789")
        var rng = SystemRandomNumberGenerator()
        let keys = try (1...3).map { year -> (Int, ProductKey) in
            let groups = (0..<5).map { _ in String((0..<5).map { _ in alphabet.randomElement(using: &rng)! }) }
            return (year, try ProductKey(groups.joined(separator: "-")))
        }
        var text = "# ESU keys for the esuctl lab's simulated guests (they accept exactly these).\n"
        for (year, key) in keys { text += "year\(year) = \(key.revealForStdin())\n" }
        try? FileManager.default.removeItem(at: file)
        guard FileManager.default.createFile(atPath: file.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw LabError.unusableDirectory(dir.path, reason: "cannot write \(file.path)")
        }
        return keys
    }

    /// Stand-in .msu files for the SSUs and preparation packages, with a sha256sum manifest.
    static func writePayloads(_ dir: URL) throws {
        let files = ["windows8.1-kb5029368-x64.msu", "windows8.1-kb5017220-x64.msu",
                     "windows8-rt-kb5029369-x64.msu", "windows8-rt-kb5017221-x64.msu"]
        var manifest = ""
        for name in files {
            let data = Data("esuctl lab stand-in for \(name); not a real Windows update\n".utf8)
            try data.write(to: dir.appendingPathComponent("payloads/\(name)"))
            manifest += "\(SHA256.hex(data))  \(name)\n"
        }
        try Data(manifest.utf8).write(to: dir.appendingPathComponent("payloads/SHA256SUMS"))
    }

    /// Ports the kernel hands out for 127.0.0.1, released again for sshd to bind.
    static func freeLoopbackPorts(_ n: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<n {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw LabError.unusableDirectory("", reason: "cannot open a socket: \(String(cString: strerror(errno)))") }
            sockets.append(fd)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
            }
            guard bound else { throw LabError.unusableDirectory("", reason: "cannot bind 127.0.0.1: \(String(cString: strerror(errno)))") }
            ports.append(Int(UInt16(bigEndian: addr.sin_port)))
        }
        return ports
    }

    static func startSSHD(index: Int, ports: [Int], dir: URL, user: String, guestBinary: URL) throws -> Int32 {
        let sshdDir = dir.appendingPathComponent("sshd")
        let pidFile = sshdDir.appendingPathComponent("sshd-\(index).pid")
        let config = sshdDir.appendingPathComponent("sshd_config-\(index)")
        var lines = ports.map { "ListenAddress 127.0.0.1:\($0)" }
        lines += [
            "HostKey \(sshdDir.appendingPathComponent("ssh_host_ed25519_key").path)",
            "PidFile \(pidFile.path)",
            "AuthorizedKeysFile \(sshdDir.appendingPathComponent("authorized_keys").path)",
            "AllowUsers \(user)",
            "StrictModes no",
            "UsePAM no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "LogLevel ERROR",
            // The fleet connects all at once: do not drop connections before authentication.
            "MaxStartups 1000",
            "MaxSessions 64",
            "ForceCommand \(guestBinary.path) --lab \(dir.path)",
            "Subsystem sftp internal-sftp",
        ]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: config)
        if getuid() == 0 { try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }
        try? FileManager.default.removeItem(at: pidFile)
        let log = sshdDir.appendingPathComponent("sshd-\(index).log")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: sshd)
        p.arguments = ["-f", config.path, "-E", log.path, "-D"]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p.processIdentifier
    }

    /// Polls until every port accepts a TCP connection: readiness, not a guess at how long sshd takes.
    static func waitUntilListening(_ ports: [Int], dir: URL) throws {
        let deadline = Date().addingTimeInterval(15)
        var pending = Set(ports)
        while !pending.isEmpty {
            pending = pending.filter { !accepts(port: $0) }
            if pending.isEmpty { break }
            if Date() > deadline {
                let text = sshdLogs(dir)
                throw LabError.sshdDidNotStart(log: text.isEmpty ? "(empty)" : text)
            }
            usleep(20_000)
        }
    }

    static func sshdLogs(_ dir: URL) -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("sshd").path)) ?? []
        return files.filter { $0.hasSuffix(".log") }.sorted().compactMap {
            try? String(contentsOf: dir.appendingPathComponent("sshd/\($0)"), encoding: .utf8)
        }.joined(separator: "\n")
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func writeInventory(dir: URL, guests: [LabGuest], endpoints: [String: String], user: String, scenario: Scenario) throws {
        var text = "# esuctl lab, scenario \(scenario.rawValue): simulated guests on loopback. Generated by `esuctl lab up`.\n"
        let groups = Dictionary(grouping: guests, by: \.group)
        for group in groups.keys.sorted() {
            text += "\n[\(group)]\n"
            for g in groups[group]! {
                let parts = endpoints[g.name]!.split(separator: ":")
                text += "\(g.name) ansible_host=\(parts[0]) ansible_port=\(parts[1])\n"
            }
        }
        text += "\n[all:vars]\nansible_user=\(user)\nansible_ssh_private_key_file=\(dir.appendingPathComponent("id_ed25519").path)\n"
        try Data(text.utf8).write(to: dir.appendingPathComponent("inventory.ini"))
    }

    @discardableResult
    static func run(_ program: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw LabError.missingProgram(program, hint: "\(error)")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else {
            throw LabError.commandFailed(command: ([program] + args).joined(separator: " "), status: p.terminationStatus, output: text)
        }
        return text
    }
}
