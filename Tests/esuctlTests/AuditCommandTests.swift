import Audit
import Foundation
import Testing

@Suite struct AuditCommandTests {
    let file: URL

    init() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("esuctl-auditcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        file = dir.appendingPathComponent("audit.jsonl")
        let log = AuditLog(url: file)
        try log.append(AuditEvent(runId: "run-a", host: "r2-fresh", event: "collect", exitCode: 0, detail: "actionRequired"))
        try log.append(AuditEvent(runId: "run-a", host: "r2-fresh", event: "step.intent", step: "installSSU KB5029368"))
        try log.append(AuditEvent(runId: "run-a", host: "r2-ja", event: "step.result", step: "activate Year 1", exitCode: 1, windowsCode: "0xC004C008"))
    }

    @Test func verifyIntactAndTampered() throws {
        let ok = try ESUCtl.run(["audit", "verify", "--audit", file.path])
        #expect(ok.status == 0)
        #expect(ok.stdout.hasPrefix("OK: 3 records"))
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "0xC004C008", with: "0xC004C009")
        try Data(text.utf8).write(to: file)
        let bad = try ESUCtl.run(["audit", "verify", "--audit", file.path])
        #expect(bad.status == 4)
        #expect(bad.stdout.contains("record 3 (line 3) was altered"))
    }

    @Test func showFilters() throws {
        let all = try ESUCtl.run(["audit", "show", "--audit", file.path])
        #expect(all.stdout.split(separator: "\n").count == 3)
        let ja = try ESUCtl.run(["audit", "show", "--audit", file.path, "--host", "r2-ja"])
        #expect(ja.stdout.split(separator: "\n").count == 1 && ja.stdout.contains("0xC004C008"))
        let intents = try ESUCtl.run(["audit", "show", "--audit", file.path, "--event", "step.intent", "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(intents.stdout.utf8)) as? [[String: Any]]
        #expect(parsed?.count == 1 && parsed?.first?["step"] as? String == "installSSU KB5029368")
        let future = try ESUCtl.run(["audit", "show", "--audit", file.path, "--since", "2999-01-01"])
        #expect(future.stdout.contains("no audit records match"))
        #expect(try ESUCtl.run(["audit", "show", "--audit", file.path, "--since", "yesterday"]).status == 2)
    }

    @Test func exportFormats() throws {
        let csv = try ESUCtl.run(["audit", "export", "--format", "csv", "--audit", file.path])
        let lines = csv.stdout.components(separatedBy: "\r\n")
        #expect(lines[0].hasPrefix("seq,time,runId,host,event"))
        #expect(lines.count == 4)
        let json = try ESUCtl.run(["audit", "export", "--format", "json", "--audit", file.path])
        #expect((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Any])?.count == 3)
        #expect(try ESUCtl.run(["audit", "export", "--format", "xml", "--audit", file.path]).status == 2)
    }

    @Test func missingLogIsAClearError() throws {
        let r = try ESUCtl.run(["audit", "verify", "--audit", "/tmp/esuctl-no-such-audit.jsonl"])
        #expect(r.status == 1 && r.stderr.contains("no audit log yet"))
    }
}
