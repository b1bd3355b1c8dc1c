import Foundation
import Testing

/// The simulator behind the real OpenSSH server, as the lab runs it: ForceCommand, guest chosen by
/// the server address, SFTP into the guest's home, down guests ending sessions with 255.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd")
                 && FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh")))
struct SSHDTests {
    static func sh(_ path: String, _ args: [String], stdin: [UInt8] = []) throws -> Harness.Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out; p.standardError = err; p.standardInput = inp
        try p.run()
        inp.fileHandleForWriting.write(Data(stdin)); try inp.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return .init(stdout: [UInt8](o), stderr: [UInt8](e), status: p.terminationStatus, signaled: false)
    }

    @Test func throughRealSSHD() throws {
        let lab = try Lab(profile: "fresh")
        let d = Harness.tempDir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        _ = try Self.sh("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", d + "/hostkey"])
        _ = try Self.sh("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", d + "/userkey"])
        try FileManager.default.copyItem(atPath: d + "/userkey.pub", toPath: d + "/authorized_keys")
        let port = 23000 + Int(getpid() % 2000)
        FileManager.default.createFile(atPath: lab.dir + "/guests.json", contents: Data(#"{"127.0.0.1:\#(port)": "guest01"}"#.utf8))
        let config = """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(d)/hostkey
        PidFile \(d)/sshd.pid
        AuthorizedKeysFile \(d)/authorized_keys
        StrictModes no
        UsePAM no
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UseDNS no
        Subsystem sftp /usr/lib/openssh/sftp-server
        ForceCommand \(Harness.binary) --lab \(lab.dir)
        """
        FileManager.default.createFile(atPath: d + "/sshd_config", contents: Data(config.utf8))
        let started = try Self.sh("/usr/sbin/sshd", ["-f", d + "/sshd_config", "-E", d + "/sshd.log"])
        try #require(started.status == 0, "sshd: \(String(decoding: started.stderr, as: UTF8.self))")
        defer {
            if let pid = (try? String(contentsOfFile: d + "/sshd.pid", encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
                kill(pid, SIGTERM)
            }
        }
        var ready = false
        for _ in 0..<200 where !ready { ready = FileManager.default.fileExists(atPath: d + "/sshd.pid"); if !ready { usleep(10_000) } }
        let user = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        let sshArgs = ["-p", String(port), "-i", d + "/userkey", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                       "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "GSSAPIAuthentication=no", "\(user)@127.0.0.1"]

        var r = try Self.sh("/usr/bin/ssh", sshArgs + ["hostname"])
        #expect(r.stdout == Array("GUEST01\r\n".utf8))

        // SFTP: a relative path lands in the guest's home.
        FileManager.default.createFile(atPath: d + "/pkg.msu", contents: Data("ssu".utf8))
        FileManager.default.createFile(atPath: d + "/batch", contents: Data("mkdir esuctl-payloads\nput \(d)/pkg.msu esuctl-payloads/windows8.1-kb5029368-x64_a.msu\n".utf8))
        r = try Self.sh("/usr/bin/sftp", ["-P", String(port), "-i", d + "/userkey", "-o", "StrictHostKeyChecking=no",
                                          "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-b", d + "/batch", "\(user)@127.0.0.1"])
        #expect(r.status == 0)
        #expect(FileManager.default.fileExists(atPath: lab.home + "/esuctl-payloads/windows8.1-kb5029368-x64_a.msu"))

        // The agent over the exec channel, key-free command line, request on stdin.
        r = try Self.sh("/usr/bin/ssh", sshArgs + [Harness.agentCommand],
                        stdin: Harness.stdin(verb: "install-package", args: ["path": #"esuctl-payloads\windows8.1-kb5029368-x64_a.msu"#,
                                                                            "sha256": Harness.sha256(Array("ssu".utf8)), "kb": "KB5029368"]))
        #expect(r.status == 0)
        #expect((r.json?["data"] as? [String: Any])?["result"] as? String == "installed")

        try lab.set("downUntil=2099-01-01T00:00:00Z")
        r = try Self.sh("/usr/bin/ssh", sshArgs + ["hostname"])
        #expect(r.status == 255 && r.stdout.isEmpty)
    }
}
