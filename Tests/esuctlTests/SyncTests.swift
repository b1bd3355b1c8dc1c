import Foundation
import Testing

/// Issue 5's acceptance, on the lab's mixed fleet: dry run, sync, idempotence, plan/apply,
/// stale plans, the audit chain, a SIGKILL mid-sync, and no key in clear anywhere.
@Suite(.serialized) struct SyncTests {
    func changeArgs(_ lab: LabFleet) -> [String] {
        ["--keys", lab.dir.appendingPathComponent("esu-keys").path, "--payloads", lab.dir.appendingPathComponent("payloads").path,
         "--now", "2026-01-15"]
    }

    func guestStates(_ lab: LabFleet) throws -> [String: Data] {
        let guests = lab.dir.appendingPathComponent("guests")
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: guests.path) {
            out[name] = try Data(contentsOf: guests.appendingPathComponent("\(name)/state.json"))
        }
        return out
    }

    func statusRows(_ lab: LabFleet) throws -> [String: [String: Any]] {
        let run = try lab.esuctl(["status", "--json", "--now", "2026-01-15"])
        let array = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: array.map { ($0["host"] as! String, $0) })
    }

    func keys(_ lab: LabFleet) throws -> [String] {
        try String(contentsOf: lab.dir.appendingPathComponent("esu-keys"), encoding: .utf8)
            .split(separator: "\n").filter { $0.hasPrefix("year") }.map { String($0.split(separator: "=")[1]).trimmingCharacters(in: .whitespaces) }
    }

    /// No key may appear in clear in any output, state, plan or audit file.
    func expectNoKeyLeaked(_ lab: LabFleet, outputs: [ESUCtlRun]) throws {
        let secrets = try keys(lab)
        #expect(secrets.count == 3)
        var texts = outputs.flatMap { [$0.stdout, $0.stderr] }
        let enumerator = FileManager.default.enumerator(at: lab.base, includingPropertiesForKeys: nil)!
        for case let url as URL in enumerator where url.lastPathComponent != "esu-keys" {
            if let data = try? Data(contentsOf: url) { texts.append(String(decoding: data, as: UTF8.self)) }
        }
        for secret in secrets {
            for text in texts { #expect(!text.contains(secret) && !text.contains(String(secret.prefix(17)))) }
        }
    }

    @Test func dryRunThenSyncThenNothingLeft() throws {
        let lab = try LabFleet()
        let before = try guestStates(lab)
        let dry = try lab.esuctl(["sync", "--dry-run", "--allow-restart"] + changeArgs(lab))
        #expect(dry.status == 4) // the unreachable guest
        #expect(dry.stdout.contains("r2-fresh: actionRequired"))
        #expect(dry.stdout.contains("  1. install servicing stack update KB5029368"))
        #expect(try guestStates(lab) == before, "a dry run changed a guest")

        let refused = try lab.esuctl(["sync"] + changeArgs(lab)) // no terminal, no --yes
        #expect(refused.status == 2 && refused.stderr.contains("--yes"))
        #expect(try guestStates(lab) == before)

        let sync = try lab.esuctl(["sync", "--yes", "--allow-restart", "--restart-timeout", "60"] + changeArgs(lab))
        #expect(sync.status == 4, "\(sync.stdout)\n\(sync.stderr)")
        let r = try statusRows(lab)
        for host in ["r2-fresh", "r2-ssu-only", "r2-needs-restart", "r2-key-installed", "r2-licensed", "r2-ja", "s2012"] {
            #expect(r[host]?["state"] as? String == "compliant", "\(host): \(r[host]?["reason"] ?? "")")
            #expect(r[host]?["esuYears"] as? [String] == ["1 (MAK)", "2 (MAK)", "3 (MAK)"], "\(host)")
        }
        #expect(r["r2-arc"]?["esuYears"] as? [String] == ["1 (Arc)", "2 (Arc)", "3 (Arc)"])
        #expect(r["hv-host"]?["state"] as? String == "notApplicable")
        #expect(r["r2-unreachable"]?["state"] as? String == "unreachable")
        #expect(sync.stdout.contains("0xC004C008"), "exhausted MAK not reported: \(sync.stdout)")
        #expect(try guestStates(lab)["hv-host"] == before["hv-host"], "the Hyper-V host was touched")

        let afterSync = try guestStates(lab)
        let again = try lab.esuctl(["sync", "--yes", "--allow-restart"] + changeArgs(lab))
        // Progress names every step it takes as "host: <step>"; a second sync takes none.
        let acted = again.stderr.split(separator: "\n").filter { !$0.hasPrefix("[") && ($0.contains(": install ") || $0.contains(": activate ") || $0.contains(": restart (")) }
        #expect(acted.isEmpty, "second sync acted: \(acted)")
        #expect(again.stdout.contains("not tried again"), "the exhausted MAK was retried")
        #expect(try guestStates(lab).filter { $0.key != "r2-mak-exhausted" }.mapValues { _ in 0 } == afterSync.filter { $0.key != "r2-mak-exhausted" }.mapValues { _ in 0 })

        let verify = try ESUCtl.run(["audit", "verify", "--state-dir", lab.base.appendingPathComponent("state").path])
        #expect(verify.status == 0, "\(verify.stdout)")
        let show = try ESUCtl.run(["audit", "show", "--host", "r2-mak-exhausted", "--state-dir", lab.base.appendingPathComponent("state").path])
        #expect(show.stdout.contains("0xC004C008"))
        try expectNoKeyLeaked(lab, outputs: [dry, sync, again, show])
    }

    @Test func planThenApplyAndStalePlans() throws {
        let lab = try LabFleet()
        let planFile = lab.base.appendingPathComponent("plan.json").path
        let plan = try lab.esuctl(["plan", "-o", planFile, "--allow-restart"] + changeArgs(lab))
        #expect(plan.status == 4)
        #expect(plan.stdout.contains("r2-fresh: actionRequired"))
        let show = try ESUCtl.run(["plan", "show", planFile])
        #expect(show.status == 0 && show.stdout.contains("restarts allowed"))
        let md = try ESUCtl.run(["plan", "show", planFile, "--format", "md"])
        #expect(md.stdout.contains("| Host | Now | Steps | Ends | Reason |"))
        #expect(md.stdout.contains("| r2-fresh | actionRequired | 1. install servicing stack update KB5029368<br>"))
        let html = try ESUCtl.run(["plan", "show", planFile, "--format", "html"])
        let page = lab.base.appendingPathComponent("plan.html")
        try Data(html.stdout.utf8).write(to: page)
        let check = try checkHTML(page)
        #expect(check.status == 0, "\(check.output)")
        #expect(html.stdout.contains("<li>install servicing stack update KB5029368</li>"))
        #expect(try ESUCtl.run(["plan", "show", planFile, "--format", "pdf"]).status == 2)

        // A guest changes after approval: its part of the plan is refused, the rest applied.
        try lab.setGuest("r2-ssu-only", ["pendingReboot=true"])
        let apply = try lab.esuctl(["apply", planFile] + changeArgs(lab))
        #expect(apply.status == 4)
        #expect(apply.stdout.contains("stale plan"), "\(apply.stdout)")
        let r = try statusRows(lab)
        #expect(r["r2-fresh"]?["state"] as? String == "compliant")
        #expect(r["r2-ssu-only"]?["state"] as? String != "compliant")
        let audit = try String(contentsOf: lab.base.appendingPathComponent("state/audit.jsonl"), encoding: .utf8)
        #expect(audit.contains("\"apply.started\"") && audit.contains("\"planDigest\""))
        #expect(try ESUCtl.run(["audit", "verify", "--state-dir", lab.base.appendingPathComponent("state").path]).status == 0)
        try expectNoKeyLeaked(lab, outputs: [plan, show, apply])
    }

    @Test func killedMidSyncTheNextSyncFinishes() throws {
        let lab = try LabFleet(restartSeconds: 2)
        let args = ["sync", "--yes", "--allow-restart", "--limit", "r2-fresh"] + changeArgs(lab) + lab.common
        let p = Process()
        p.executableURL = ESUCtl.binary
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Kill it as soon as it reports its first restart: mid-sequence, with steps done and to do.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("restart") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen.append(chunk)
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()

        let next = try lab.esuctl(["sync", "--yes", "--allow-restart", "--limit", "r2-fresh"] + changeArgs(lab))
        #expect(next.status == 0, "\(next.stdout)\n\(next.stderr)")
        let records = try String(contentsOf: lab.base.appendingPathComponent("state/audit.jsonl"), encoding: .utf8)
            .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let results = records.filter { $0["event"] as? String == "step.result" && $0["detail"] as? String == "ok" }.compactMap { $0["step"] as? String }
        // Each change took effect once: no prerequisite, key or activation was done twice.
        for step in Set(results) where !step.hasPrefix("restart") {
            #expect(results.filter { $0 == step }.count == 1, "\(step) done twice")
        }
        #expect(try ESUCtl.run(["audit", "verify", "--state-dir", lab.base.appendingPathComponent("state").path]).status == 0)
    }
}
