import Foundation
import Testing

/// The bootstrap and stdin framing are checked byte for byte; anything else is refused.
@Suite struct ProtocolTests {
    func expectRefused(_ r: Harness.Run, _ code: String) {
        #expect(r.status == 2)
        let env = r.json
        #expect(env?["ok"] as? Bool == false)
        #expect(env?["agent"] is NSNull)
        #expect(env?["verb"] is NSNull)
        #expect((env?["error"] as? [String: Any])?["code"] as? String == code)
    }

    @Test func badBootstrapRejected() throws {
        let lab = try Lab(profile: "fresh")
        let good = Harness.agentCommand
        let args = ["--lab", lab.dir, "--guest", lab.guest]
        // One changed byte in the bootstrap.
        let hash = Harness.sha256(Harness.agentScript)
        let tampered = Harness.bootstrap.replacingOccurrences(of: "'Stop'", with: "'Continue'")
            .replacingOccurrences(of: "@@SHA256@@", with: hash)
        var le: [UInt8] = []
        for u in tampered.utf16 { le.append(UInt8(u & 0xFF)); le.append(UInt8(u >> 8)) }
        let cmd = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + Data(le).base64EncodedString()
        expectRefused(try Harness.run(args, command: cmd, stdin: Harness.stdin(verb: "collect")), "protocol")
        // An upper-case hash, a different flag, a plain -Command.
        expectRefused(try Harness.run(args, command: Harness.execCommand(hash: hash.uppercased()), stdin: Harness.stdin(verb: "collect")), "protocol")
        expectRefused(try Harness.run(args, command: good.replacingOccurrences(of: "-NoProfile ", with: ""), stdin: Harness.stdin(verb: "collect")), "protocol")
        expectRefused(try Harness.run(args, command: "powershell.exe -Command Get-Date", stdin: []), "protocol")
    }

    @Test func hashMismatchRejected() throws {
        let lab = try Lab(profile: "fresh")
        let other = Array("param($a, $k)\n# a different agent\n".utf8)
        let r = try Harness.run(["--lab", lab.dir, "--guest", lab.guest], command: Harness.agentCommand,
                                stdin: Harness.stdin(verb: "collect", script: other))
        expectRefused(r, "hash")
        #expect(r.text == #"{"agent":null,"data":null,"error":{"code":"hash","text":"agent script hash mismatch"},"ok":false,"protocol":1,"verb":null}"#)
    }

    @Test func wrongMagicRejected() throws {
        let lab = try Lab(profile: "fresh")
        let args = ["--lab", lab.dir, "--guest", lab.guest]
        expectRefused(try Harness.run(args, command: Harness.agentCommand, stdin: Harness.stdin(verb: "collect", magic: "esuctl-agent 2")), "protocol")
        expectRefused(try Harness.run(args, command: Harness.agentCommand, stdin: Array("esuctl-agent 1\n".utf8)), "protocol")
    }

    @Test func notTheAgentRejected() throws {
        let lab = try Lab(profile: "fresh")
        let script = Array("Write-Output 'hello'\n".utf8)
        let r = try Harness.run(["--lab", lab.dir, "--guest", lab.guest], command: Harness.execCommand(hash: Harness.sha256(script)),
                                stdin: Harness.stdin(verb: "collect", script: script))
        expectRefused(r, "protocol")
    }

    @Test func crlfStdinAndGuestBySSHConnection() throws {
        let lab = try Lab(profile: "fresh", guest: "guest07")
        FileManager.default.createFile(atPath: lab.dir + "/guests.json", contents: Data(#"{"127.0.0.1:22007": "guest07"}"#.utf8))
        let r = try Harness.run(["--lab", lab.dir], command: Harness.agentCommand, stdin: Harness.stdin(verb: "collect", crlf: true),
                                env: ["SSH_CONNECTION": "127.0.0.1 50000 127.0.0.1 22007"])
        #expect(r.status == 0)
        #expect((r.json?["data"] as? [String: Any])?["host"] as? String == "GUEST07")
    }

    @Test func unknownVerb() throws {
        let lab = try Lab(profile: "fresh")
        let r = try lab.agent("format-c")
        #expect(r.status == 1)
        #expect((r.json?["error"] as? [String: Any])?["code"] as? String == "args")
        #expect(r.json?["agent"] as? String == "sim-1")
    }
}
