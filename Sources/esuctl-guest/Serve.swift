import Foundation

/// One SSH session: pick the guest, honour "down", then hand the command to SFTP, the agent or cmd.exe.
enum Serve {
    static func guestName(lab: String, explicit: String?) -> String {
        if let explicit { return explicit }
        let env = ProcessInfo.processInfo.environment
        guard let conn = env["SSH_CONNECTION"] else { die("no --guest and no SSH_CONNECTION", 1) }
        let f = conn.split(separator: " ")
        guard f.count == 4 else { die("SSH_CONNECTION is not 'client_ip client_port server_ip server_port'", 1) }
        let key = "\(f[2]):\(f[3])"
        guard let d = FileManager.default.contents(atPath: lab + "/guests.json"),
              let map = (try? JSONSerialization.jsonObject(with: d)) as? [String: String],
              let name = map[key] else { die("no guest for \(key) in \(lab)/guests.json", 1) }
        return name
    }

    static func run(lab: String, guest: String?) -> Never {
        let paths = GuestPaths(lab: lab, name: guestName(lab: lab, explicit: guest))
        let now = Clock.now()
        let state: GuestState
        do { state = try StateStore.read(paths) } catch { die("\(error)", 1) }
        // A guest that is restarting refuses everything: the session ends at once, no output, status 255.
        if let d = state.downUntil, let until = ISOTime.parse(d), now < until { exit(255) }
        let command = ProcessInfo.processInfo.environment["SSH_ORIGINAL_COMMAND"] ?? ""
        let trimmed = command.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { die("interactive shells are not simulated; send a command", 1) }
        if isSFTP(trimmed) { execSFTP(home: paths.home) }
        if Bootstrap.isPowerShell(command) { AgentSession(paths: paths, command: command, now: now).run() }
        RawCommands(paths: paths, command: command, now: now).run()
    }

    static func isSFTP(_ c: String) -> Bool {
        let first = c.split(separator: " ").first.map(String.init) ?? c
        return first == "internal-sftp" || first.hasSuffix("/sftp-server") || first == "sftp-server"
    }

    static func execSFTP(home: String) -> Never {
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let server = ["/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server", "/usr/libexec/sftp-server"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let server else { die("no sftp-server found", 1) }
        let args = [server, "-d", home]
        var cargs = args.map { strdup($0) } + [nil]
        execv(server, &cargs)
        die("exec \(server) failed: \(String(cString: strerror(errno)))", 1)
    }
}
