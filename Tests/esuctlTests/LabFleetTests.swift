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
}
