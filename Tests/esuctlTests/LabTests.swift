import Foundation
import Testing

/// `esuctl lab` plumbing with a stand-in simulator, checked with the real OpenSSH client: the
/// inventory, known_hosts and client key it writes must let `ssh` in with strict host-key checking.
@Suite(.serialized) struct LabPlumbingTests {
    static func fakeGuest(in dir: URL) throws -> URL {
        let script = dir.appendingPathComponent("fake-guest.sh")
        try Data("#!/bin/sh\n[ \"$1\" = init ] && exit 0\necho \"guest for $SSH_CONNECTION: $SSH_ORIGINAL_COMMAND\"\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        return script
    }

    static func ssh(_ dir: URL, port: String, user: String, command: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        p.arguments = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(dir.path)/known_hosts",
                       "-o", "ConnectTimeout=5", "-i", "\(dir.path)/id_ed25519", "-p", port, "\(user)@127.0.0.1", command]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func upWritesAUsableFleetAndDownRemovesIt() throws {
        let base = URL(fileURLWithPath: "/tmp/esuctl-labtest-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let lab = base.appendingPathComponent("lab")
        let env = ["ESUCTL_GUEST": try Self.fakeGuest(in: base).path]

        let up = try ESUCtl.run(["lab", "up", "--dir", lab.path], environment: env)
        #expect(up.status == 0, "\(up.stderr)")
        #expect(up.stdout.contains("11 hosts (scenario mixed)"))
        let again = try ESUCtl.run(["lab", "up", "--dir", lab.path], environment: env)
        #expect(again.status == 1 && again.stderr.contains("already running"))

        let inventory = try String(contentsOf: lab.appendingPathComponent("inventory.ini"), encoding: .utf8)
        let user = try #require(inventory.split(separator: "\n").first { $0.hasPrefix("ansible_user=") }).dropFirst("ansible_user=".count)
        var ports: [String: String] = [:]
        for line in inventory.split(separator: "\n") where line.contains("ansible_port=") {
            let name = String(line.split(separator: " ")[0])
            ports[name] = String(line.split(separator: "=").last!)
            #expect(line.contains("ansible_host=127.0.0.1"))
        }
        #expect(Set(ports.keys) == ["hv-host", "r2-fresh", "r2-ssu-only", "r2-needs-restart", "r2-key-installed", "r2-licensed",
                                    "r2-ja", "r2-arc", "s2012", "r2-mak-exhausted", "r2-unreachable"])

        let (status, out) = try Self.ssh(lab, port: ports["r2-ja"]!, user: String(user), command: "hostname")
        #expect(status == 0)
        #expect(out == "guest for 127.0.0.1 \(out.split(separator: " ")[3]) 127.0.0.1 \(ports["r2-ja"]!): hostname\n")
        let (refused, _) = try Self.ssh(lab, port: ports["r2-unreachable"]!, user: String(user), command: "hostname")
        #expect(refused == 255)

        let keys = try String(contentsOf: lab.appendingPathComponent("esu-keys"), encoding: .utf8)
        #expect(keys.split(separator: "\n").filter { $0.hasPrefix("year") }.count == 3)
        let mode = try FileManager.default.attributesOfItem(atPath: lab.appendingPathComponent("esu-keys").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let sums = try String(contentsOf: lab.appendingPathComponent("payloads/SHA256SUMS"), encoding: .utf8)
        #expect(sums.contains("windows8.1-kb5017220-x64.msu") && sums.contains("windows8-rt-kb5017221-x64.msu"))

        let down = try ESUCtl.run(["lab", "down", "--dir", lab.path])
        #expect(down.status == 0)
        #expect(!FileManager.default.fileExists(atPath: lab.path))
        let (gone, _) = try Self.ssh(base, port: ports["r2-ja"]!, user: String(user), command: "hostname")
        #expect(gone == 255)
    }

    @Test func freshScenarioSizesAndUsage() throws {
        #expect(try ESUCtl.run(["lab", "up"]).status == 2)
        #expect(try ESUCtl.run(["lab", "up", "--dir", "/tmp/x", "--scenario", "weird"]).status == 2)
        #expect(try ESUCtl.run(["lab", "up", "--dir", "/tmp/x", "--guests", "0"]).status == 2)
        let down = try ESUCtl.run(["lab", "down", "--dir", "/tmp/esuctl-no-such-lab"])
        #expect(down.status == 1 && down.stderr.contains("holds no esuctl lab"))
    }
}
