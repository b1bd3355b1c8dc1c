import ESUCore
import Foundation
import Testing

@Suite struct DiagnosisTests {
    static let now = Fixture.collectedAt.date
    static let healthy = DiagnoseData(wuauserv: "Running", systemDriveFreeBytes: 40_000_000_000)

    func facts(kbs: [String] = Fixture.prereqs, pending: Bool = false, skew: Double? = 0) -> Facts {
        var f = Fixture.facts(kbs: kbs, pending: pending)
        f.guestTime = skew.map { Timestamp(Self.now.addingTimeInterval($0)) }
        return f
    }

    func run(_ f: Facts, _ d: DiagnoseData = healthy, code: String? = nil) -> Diagnosis {
        Diagnosis.evaluate(facts: f, data: d, lastErrorCode: code, catalog: Fixture.catalog, controllerTime: Self.now)
    }

    func severities(_ d: Diagnosis) -> [String: FindingSeverity] {
        Dictionary(uniqueKeysWithValues: d.findings.map { ($0.check, $0.severity) })
    }

    @Test func healthyHostIsOK() {
        let d = run(facts())
        #expect(d.severity == .ok)
        #expect(d.verdict == "ok: no problems found")
        #expect(severities(d) == ["lastError": .ok, "wuauserv": .ok, "ssu": .ok, "clock": .ok, "diskSpace": .ok, "restart": .ok])
    }

    @Test(arguments: [
        // (facts skew, pending, kbs, wuauserv, free bytes, check, severity)
        (0.0, false, Fixture.prereqs, "Stopped", Int64(40_000_000_000), "wuauserv", FindingSeverity.problem),
        (0.0, false, Fixture.prereqs, "Running", Int64(1_000_000), "diskSpace", .problem),
        (0.0, false, Fixture.prereqs, "Running", Int64(2_000_000_000), "diskSpace", .ok),
        (301.0, false, Fixture.prereqs, "Running", Int64(40_000_000_000), "clock", .problem),
        (-900.0, false, Fixture.prereqs, "Running", Int64(40_000_000_000), "clock", .problem),
        (299.0, false, Fixture.prereqs, "Running", Int64(40_000_000_000), "clock", .ok),
        (0.0, true, Fixture.prereqs, "Running", Int64(40_000_000_000), "restart", .warn),
        (0.0, false, ["KB5017220"], "Running", Int64(40_000_000_000), "ssu", .problem),
    ])
    func oneCheck(skew: Double, pending: Bool, kbs: [String], wu: String, free: Int64, check: String, severity: FindingSeverity) {
        let d = run(facts(kbs: kbs, pending: pending, skew: skew), DiagnoseData(wuauserv: wu, systemDriveFreeBytes: free))
        #expect(severities(d)[check] == severity)
        #expect(d.severity == (severities(d).values.max() ?? .ok))
        if severity != .ok {
            #expect(d.findings.first { $0.check == check }?.remedy != nil)
            // Only the named check is off: the verdict names it alone.
            #expect(d.findings.filter { $0.severity != .ok }.map(\.check) == [check])
            #expect(d.verdict.hasPrefix("\(severity.rawValue): "))
        }
    }

    @Test func clockSkewIsReportedWithDirection() {
        let d = run(facts(skew: -900))
        #expect(d.findings.first { $0.check == "clock" }?.summary == "the guest's clock is 900 s behind the controller")
        #expect(severities(run(facts(skew: nil)))["clock"] == .warn)
    }

    @Test func twoProblemsBothInTheVerdict() {
        let d = run(facts(), DiagnoseData(wuauserv: "Stopped", systemDriveFreeBytes: 1_000_000))
        #expect(d.severity == .problem)
        #expect(d.verdict == "problem: Windows Update service (wuauserv) is Stopped; only 1.0 MB free on the system drive")
    }

    @Test func kmsCodeWithoutSRVRecord() {
        let data = DiagnoseData(wuauserv: "Running", systemDriveFreeBytes: 40_000_000_000,
                                kms: .init(srvRecords: [], srvError: "Non-existent domain", tcp1688: []))
        let d = run(facts(), data, code: "0xc004f074")
        let last = d.findings.first { $0.check == "lastError" }
        #expect(last?.severity == .problem)
        #expect(last?.summary.contains("0xC004F074 (SL_E_VL_BINDING_SERVICE_UNAVAILABLE)") == true)
        #expect(last?.remedy?.contains("slmgr /ato <ESU Activation ID>") == true)
        #expect(severities(d)["kmsSRV"] == .problem)
        #expect(d.findings.first { $0.check == "kmsSRV" }?.summary.contains("Non-existent domain") == true)
        #expect(severities(d)["kms1688"] == nil)
    }

    @Test(arguments: [(true, FindingSeverity.ok), (false, .problem)])
    func kmsPortCheck(reachable: Bool, severity: FindingSeverity) {
        let data = DiagnoseData(wuauserv: "Running", systemDriveFreeBytes: 40_000_000_000,
                                kms: .init(srvRecords: ["kms01.lab:1688"], tcp1688: [.init(host: "kms01.lab", reachable: reachable)]))
        let d = run(facts(), data, code: "0x8007232B")
        #expect(severities(d)["kmsSRV"] == .ok)
        #expect(severities(d)["kms1688"] == severity)
    }

    @Test func nonKMSCodeSkipsKMSChecksAndUnknownCodeIsAProblem() {
        let d = run(facts(), Self.healthy, code: "0xC004C008")
        #expect(severities(d)["kmsSRV"] == nil)
        #expect(severities(d)["lastError"] == .problem)
        #expect(severities(run(facts(), Self.healthy, code: "0x12345678"))["lastError"] == .problem)
    }

    @Test func dataDecodesAndRejectsMalformed() throws {
        let json = #"{"wuauserv":"Stopped","systemDriveFreeBytes":5,"kms":{"srvRecords":["k:1688"],"srvError":null,"tcp1688":[{"host":"k","reachable":false}]}}"#
        let d = try DiagnoseData.load(json: Data(json.utf8))
        #expect(d.kms.tcp1688 == [.init(host: "k", reachable: false)])
        #expect(throws: DiagnoseDataError.self) { try DiagnoseData.load(json: Data("{}".utf8)) }
    }
}
