import Foundation
import Testing

/// The simulated fleet end to end: `esuctl lab up` (real sshd, the guest simulator), then the
/// commands an operator runs against it, over the real libssh2 transport.
final class LabFleet: @unchecked Sendable {
    let base: URL
    let dir: URL

    init(scenario: String = "mixed", guests: Int? = nil, restartSeconds: Int = 1) throws {
        base = URL(fileURLWithPath: "/tmp/esuctl-fleet-\(UUID().uuidString.prefix(8))")
        dir = base.appendingPathComponent("lab")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let up = try ESUCtl.run(["lab", "up", "--dir", dir.path, "--scenario", scenario, "--restart-seconds", String(restartSeconds)]
                                + (guests.map { ["--guests", String($0)] } ?? []))
        guard up.status == 0 else { throw LabFailure(message: up.stderr) }
    }

    deinit {
        _ = try? ESUCtl.run(["lab", "down", "--dir", dir.path])
        try? FileManager.default.removeItem(at: base)
    }

    var common: [String] {
        ["-i", dir.appendingPathComponent("inventory.ini").path, "--known-hosts", dir.appendingPathComponent("known_hosts").path,
         "--state-dir", base.appendingPathComponent("state").path]
    }

    func esuctl(_ args: [String]) throws -> ESUCtlRun { try ESUCtl.run(args + common) }

    /// Sets a guest's state or faults by hand, as docs/guest-simulator.md describes.
    func setGuest(_ name: String, _ assignments: [String]) throws {
        let p = Process()
        p.executableURL = ESUCtl.binary.deletingLastPathComponent().appendingPathComponent("esuctl-guest")
        p.arguments = ["set", "--lab", dir.path, "--guest", name] + assignments
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw LabFailure(message: "esuctl-guest set failed") }
    }

    struct LabFailure: Error { let message: String }
}

@Suite(.serialized) struct LabFleetTests {
    func rows(_ run: ESUCtlRun) throws -> [String: [String: Any]] {
        let array = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: array.map { ($0["host"] as! String, $0) })
    }

    @Test func collectThenStatusMatchesTheMixedScenario() throws {
        let lab = try LabFleet()
        let collect = try lab.esuctl(["collect", "--now", "2026-01-15"])
        #expect(collect.status == 4, "\(collect.stderr)") // the unreachable guest
        #expect(collect.stdout.contains("11 hosts:"))

        let status = try lab.esuctl(["status", "--json", "--now", "2026-01-15"])
        #expect(status.status == 4)
        let r = try rows(status)
        func expect(_ host: String, _ role: String, _ state: String, next: String? = nil, years: [String] = [],
                    line: Int = #line) {
            let row = r[host]
            #expect(row?["role"] as? String == role, "\(host) role")
            #expect(row?["state"] as? String == state, "\(host) state: \(row?["reason"] ?? "")")
            if let next { #expect((row?["next"] as? String)?.hasPrefix(next) == true, "\(host) next: \(row?["next"] ?? "nil")") }
            #expect(row?["esuYears"] as? [String] ?? [] == years, "\(host) years")
        }
        expect("hv-host", "hyperVHost", "notApplicable")
        expect("r2-fresh", "guest", "actionRequired", next: "install servicing stack update KB5029368")
        expect("r2-ssu-only", "guest", "actionRequired", next: "install ESU licensing preparation package KB5017220")
        expect("r2-needs-restart", "guest", "blocked") // restart pending, no --allow-restart
        expect("r2-key-installed", "guest", "actionRequired", next: "activate ESU Year 1")
        expect("r2-licensed", "guest", "compliant", years: ["1 (MAK)", "2 (MAK)", "3 (MAK)"])
        expect("r2-ja", "guest", "actionRequired", next: "install servicing stack update KB5029368")
        expect("r2-arc", "guest", "compliant", years: ["1 (Arc)", "2 (Arc)", "3 (Arc)"])
        expect("s2012", "guest", "actionRequired", next: "install servicing stack update KB5029369")
        expect("r2-mak-exhausted", "guest", "actionRequired", next: "install the ESU Year 1 key")
        expect("r2-unreachable", "unknown", "unreachable")
        #expect((r["r2-unreachable"]?["reason"] as? String)?.contains("refused") == true)
        #expect(r["r2-ja"]?["language"] as? String == "ja-JP")

        // The cache gives the same answer without contacting anyone.
        let cached = try rows(try lab.esuctl(["status", "--json", "--from-cache", "--now", "2026-01-15"]))
        for host in r.keys where host != "r2-unreachable" {
            #expect(cached[host]?["state"] as? String == r[host]?["state"] as? String, "\(host)")
        }
        let verify = try ESUCtl.run(["audit", "verify", "--state-dir", lab.base.appendingPathComponent("state").path])
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test func japaneseGuestMeansWhatAnEnglishOneMeans() throws {
        let lab = try LabFleet()
        _ = try lab.esuctl(["collect", "--limit", "r2-fresh,r2-ja"])
        let state = lab.base.appendingPathComponent("state/facts")
        func load(_ host: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: state.appendingPathComponent("\(host).json"))) as! [String: Any]
        }
        let en = try load("r2-fresh"), ja = try load("r2-ja")
        let enOS = en["os"] as! [String: Any], jaOS = ja["os"] as! [String: Any]
        #expect(enOS["version"] as? String == jaOS["version"] as? String)
        #expect(jaOS["uiLanguage"] as? String == "ja-JP")
        func ids(_ f: [String: Any]) -> [String] { (f["hotfixes"] as! [[String: Any]]).map { $0["id"] as! String }.sorted() }
        #expect(ids(en) == ids(ja))
        func licenses(_ f: [String: Any]) -> [String] {
            (f["licenses"] as! [[String: Any]]).map { "\($0["activationId"]!):\($0["licenseStatus"]!):\($0["partialProductKey"] is NSNull)" }.sorted()
        }
        #expect(licenses(en) == licenses(ja))
        // The Japanese slmgr text arrived intact (cp932 on the guest, UTF-8 in the facts).
        #expect(((ja["evidence"] as? [String: Any])?["slmgrDlv"] as? String)?.contains("ライセンスの状態") == true)
    }

    @Test func hungGuestCostsOnlyItsTimeout() throws {
        let lab = try LabFleet()
        try lab.setGuest("r2-fresh", ["hang=true"])
        let start = Date()
        let status = try lab.esuctl(["status", "--json", "--timeout", "3", "--limit", "r2-fresh,r2-licensed,hv-host"])
        let elapsed = Date().timeIntervalSince(start)
        let r = try rows(status)
        #expect(r["r2-fresh"]?["state"] as? String == "failed")
        #expect((r["r2-fresh"]?["reason"] as? String)?.contains("did not finish within 3 s") == true, "\(r["r2-fresh"]?["reason"] ?? "")")
        #expect(r["r2-licensed"]?["state"] as? String == "compliant")
        #expect(r["hv-host"]?["state"] as? String == "notApplicable")
        // Bound, not timing: a hung guest must not hold the run far past its 3 s timeout.
        #expect(elapsed < 30)
        #expect(status.status == 4)
    }

    @Test func shardsSplitTheFleetAndTheirAuditLogsVerifyTogether() throws {
        let lab = try LabFleet(scenario: "fresh")
        var seen: [[String]] = []
        var logs: [String] = []
        for k in 1...2 {
            let audit = lab.base.appendingPathComponent("audit-\(k).jsonl").path
            logs += ["--audit", audit]
            let run = try lab.esuctl(["status", "--json", "--shard", "\(k)/2", "--audit", audit])
            seen.append(try rows(run).keys.sorted())
        }
        let all = try rows(try lab.esuctl(["status", "--json"])).keys.sorted()
        #expect(all.count == 10)
        #expect(Set(seen[0]).isDisjoint(with: seen[1]))
        #expect((seen[0] + seen[1]).sorted() == all)
        let verify = try ESUCtl.run(["audit", "verify"] + logs)
        #expect(verify.status == 0)
        #expect(verify.stdout.split(separator: "\n").filter { $0.hasPrefix("OK:") }.count == 2)
        let show = try ESUCtl.run(["audit", "show", "--event", "collect"] + logs)
        #expect(show.stdout.split(separator: "\n").count == 10)
        #expect(try lab.esuctl(["status", "--shard", "3/2"]).status == 2)
    }

    @Test func execRunsEverywhereAndIsAuditedWithKeysMasked() throws {
        let lab = try LabFleet()
        let key = "BBBBB-CCCCC-DDDDD-FFFFF-GH7K9"
        let run = try ESUCtl.run(["exec", "--json", "--limit", "r2-ja,hv-host,r2-unreachable"] + lab.common + ["--", "hostname", key])
        #expect(run.status == 4) // the unreachable guest
        let hosts = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(hosts.count == 3)
        let audit = try String(contentsOf: lab.base.appendingPathComponent("state/audit.jsonl"), encoding: .utf8)
        #expect(audit.contains("\"exec.started\"") && audit.contains("\"exec.finished\""))
        #expect(!audit.contains(key) && audit.contains("XXXXX-XXXXX-XXXXX-XXXXX-GH7K9"))
        let ok = try ESUCtl.run(["exec", "--limit", "r2-ja"] + lab.common + ["--", "cscript //nologo %windir%\\system32\\slmgr.vbs /dli"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("ライセンスの状態"), "the Japanese guest's cp932 output was not decoded")
    }

    @Test func expiryIsCountedFromTheDecisionDayAndFiltered() throws {
        let lab = try LabFleet()
        // Live: every host is asked; only the licensed ones have a coverage end.
        let expiring = try lab.esuctl(["status", "--json", "--now", "2026-09-01", "--expiring", "60d"])
        #expect(expiring.status == 0, "\(expiring.stderr)")
        let r = try rows(expiring)
        #expect(Set(r.keys) == ["r2-licensed", "r2-arc"])
        #expect(r["r2-licensed"]?["coverageEnd"] as? String == "2026-10-13")
        #expect(r["r2-licensed"]?["daysRemaining"] as? Int == 42)
        #expect((r["r2-arc"]?["expiryWarning"] as? String)?.contains("in 42 days") == true)

        // From the cache that run stored: a tighter window shows nothing, the table warns.
        let none = try lab.esuctl(["status", "--json", "--from-cache", "--now", "2026-09-01", "--expiring", "41d"])
        #expect(try rows(none).isEmpty)
        let table = try lab.esuctl(["status", "--from-cache", "--now", "2026-09-01", "--limit", "r2-licensed,r2-fresh"])
        #expect(table.stdout.contains("COVERED UNTIL"))
        #expect(table.stdout.contains("2026-10-13 (42d)"))
        #expect(table.stdout.contains("r2-licensed: ESU coverage ends on 2026-10-13, in 42 days"))
        #expect(!table.stdout.contains("r2-fresh:"))
        let far = try lab.esuctl(["status", "--from-cache", "--now", "2026-09-01", "--expiry-horizon", "30d", "--limit", "r2-licensed"])
        #expect(!far.stdout.contains("r2-licensed: ESU coverage ends"))

        // After the program: one plain note naming every ESU host, the 2019 host not among them.
        let ended = try lab.esuctl(["status", "--from-cache", "--now", "2026-11-01", "--limit", "r2-licensed,r2-fresh,hv-host"])
        let note = try #require(ended.stdout.split(separator: "\n").first { $0.hasPrefix("ESU program ended on 2026-10-13; migrate") })
        #expect(note.contains("r2-licensed") && note.contains("r2-fresh") && !note.contains("hv-host"))
        let csv = try lab.esuctl(["status", "--from-cache", "--csv", "--now", "2026-11-01", "--limit", "r2-licensed"])
        #expect(csv.stdout.contains(",2026-10-13,-19,ESU program ended on 2026-10-13; migrate this host"))

        let bad = try lab.esuctl(["status", "--from-cache", "--expiring", "soon"])
        #expect(bad.status == 2 && bad.stderr.contains("--expiring: 'soon' is not a number of days"))
    }

    /// The lab's "Microsoft": the confirmation ID rule docs/guest-simulator.md documents.
    static func confirmationID(_ iid: String) -> String {
        let d: [Int] = iid.compactMap { $0.wholeNumberValue }
        var out = ""
        for i in 0..<48 {
            let digit: Int = (d[i] + d[i + 15] + i) % 10
            out += String(digit)
        }
        return out
    }

    @Test func phoneActivationEndToEnd() throws {
        let lab = try LabFleet()
        let host = ["--limit", "r2-key-installed", "--year", "1"]
        let read = try lab.esuctl(["activate-offline", "--json"] + host)
        #expect(read.status == 0, "\(read.stderr)")
        let answer = try #require(try ESUCtl.json(read) as? [String: Any])
        #expect(answer["result"] as? String == "actionRequired")
        #expect(answer["activationId"] as? String == "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")
        let iid = try #require(answer["installationId"] as? String)
        #expect(iid.count == 63)
        #expect((answer["installationIdBlocks"] as? [String])?.joined() == iid)

        let text = try lab.esuctl(["activate-offline"] + host)
        #expect(text.status == 0)
        let blocks = (answer["installationIdBlocks"] as? [String]) ?? []
        #expect(text.stdout.contains("installation ID, in 9 blocks:\n  1: \(blocks.first ?? "?")\n"))
        #expect(text.stdout.contains("slui 4") && text.stdout.contains("--confirmation-id"))

        // A wrong answer is the guest's refusal, and the host stays unlicensed.
        let wrong = try lab.esuctl(["activate-offline", "--confirmation-id", String(repeating: "1", count: 48)] + host)
        #expect(wrong.status == 4)
        #expect(wrong.stdout.contains("0xC004F02C"), "\(wrong.stdout)")

        let cid = Self.confirmationID(iid)
        let spoken = stride(from: 0, to: 48, by: 6).map { i in String(Array(cid)[i..<i + 6]) }.joined(separator: " ")
        let deposit = try lab.esuctl(["activate-offline", "--confirmation-id", spoken] + host)
        #expect(deposit.status == 0, "\(deposit.stdout) \(deposit.stderr)")
        #expect(deposit.stdout.contains("r2-key-installed: compliant — ESU Year 1 is Licensed on r2-key-installed"))
        let status = try rows(try lab.esuctl(["status", "--json", "--from-cache", "--key-years", "1", "--limit", "r2-key-installed"]))
        #expect(status["r2-key-installed"]?["esuYears"] as? [String] == ["1 (MAK)"])
        let again = try lab.esuctl(["activate-offline"] + host)
        #expect(again.status == 0 && again.stdout.contains("already Licensed"))

        // Both are audited as steps: intent before, result after; the chain verifies.
        let state = lab.base.appendingPathComponent("state").path
        let intents = try ESUCtl.run(["audit", "show", "--state-dir", state, "--event", "step.intent"])
        #expect(intents.stdout.contains("phone activation of ESU Year 1: read installation ID"))
        #expect(intents.stdout.contains("phone activation of ESU Year 1: deposit confirmation ID"))
        let results = try ESUCtl.run(["audit", "show", "--state-dir", state, "--event", "step.result"])
        #expect(results.stdout.contains("0xC004F02C"))
        #expect(try ESUCtl.run(["audit", "verify", "--state-dir", state]).status == 0)

        // Hosts not ready, and command lines that are wrong.
        let fresh = try lab.esuctl(["activate-offline", "--limit", "r2-fresh", "--year", "1"])
        #expect(fresh.status == 4 && fresh.stdout.contains("does not exist on r2-fresh yet"), "\(fresh.stdout)")
        let two = try lab.esuctl(["activate-offline", "--limit", "r2-fresh,r2-ja", "--year", "1"])
        #expect(two.status == 2 && two.stderr.contains("selects 2 hosts"))
        let bad = try lab.esuctl(["activate-offline", "--confirmation-id", "12-34"] + host)
        #expect(bad.status == 2 && bad.stderr.contains("is not a confirmation ID"))
        #expect(try lab.esuctl(["activate-offline", "--limit", "r2-fresh"]).stderr.contains("missing --year N"))
    }
}
