import ESUCore
import Foundation
import Testing

/// One row of the expiry table: licensed years and the day in, the coverage end, days left,
/// status and warning out.
struct ExpiryCase: CustomTestStringConvertible, Sendable {
    let name: String
    let licensed: [LicensedYear]
    let today: String
    let horizon: Int
    let end: String?
    let days: Int?
    let status: Expiry.Status?
    let warning: String?

    init(_ name: String, _ years: [Int], via: LicenseChannel = .mak, today: String, horizon: Int = 60,
         end: String?, days: Int?, _ status: Expiry.Status?, warning: String? = nil) {
        self.name = name
        licensed = years.map { LicensedYear(year: Fixture.year($0), via: via) }
        self.today = today; self.horizon = horizon; self.end = end; self.days = days; self.status = status; self.warning = warning
    }

    var testDescription: String { name }
}

let expiryTable: [ExpiryCase] = [
    ExpiryCase("nothing licensed", [], today: "2026-01-15", end: nil, days: nil, nil),
    ExpiryCase("year 1 only, well inside it", [1], today: "2024-01-15", end: "2024-10-08", days: 267, .covered),
    ExpiryCase("year 1, 60 days before its end: inside the horizon", [1], today: "2024-08-09", end: "2024-10-08", days: 60, .expiring,
               warning: "ESU Year 1 coverage ends on 2024-10-08, in 60 days: install and activate the ESU Year 2 key (coverage from 2024-10-09)"),
    ExpiryCase("year 1, 61 days before its end: outside the horizon", [1], today: "2024-08-08", end: "2024-10-08", days: 61, .covered),
    ExpiryCase("a shorter horizon", [1], today: "2024-08-09", horizon: 30, end: "2024-10-08", days: 60, .covered),
    ExpiryCase("last covered day", [1], today: "2024-10-08", end: "2024-10-08", days: 0, .expiring, warning: "ends on 2024-10-08, today:"),
    ExpiryCase("one day left", [1], today: "2024-10-07", end: "2024-10-08", days: 1, .expiring, warning: "in 1 day:"),
    ExpiryCase("year 1 lapsed into year 2", [1], today: "2024-10-10", end: "2024-10-08", days: -2, .lapsed,
               warning: "ESU Year 1 coverage ended on 2024-10-08 (2 days ago); updates released since will not install until ESU Year 2 is licensed"),
    ExpiryCase("the highest year counts, not the first", [1, 2, 3], today: "2026-01-15", end: "2026-10-13", days: 271, .covered),
    ExpiryCase("years 1 and 2, one year behind", [1, 2], today: "2026-01-15", end: "2025-10-14", days: -93, .lapsed, warning: "until ESU Year 3 is licensed"),
    ExpiryCase("last year expiring: migrate", [1, 2, 3], today: "2026-09-01", end: "2026-10-13", days: 42, .expiring,
               warning: "ESU coverage ends on 2026-10-13, in 42 days, and the ESU program ends with it: plan the migration to a supported Windows Server"),
    ExpiryCase("Arc licenses count too", [1, 2, 3], via: .arc, today: "2026-09-01", end: "2026-10-13", days: 42, .expiring,
               warning: "in 42 days, and the ESU program ends with it"),
    ExpiryCase("the program's last day is still covered", [1, 2, 3], today: "2026-10-13", end: "2026-10-13", days: 0, .expiring,
               warning: "ESU coverage ends on 2026-10-13, today, and the ESU program ends with it"),
    ExpiryCase("after the program end", [1, 2, 3], today: "2026-10-14", end: "2026-10-13", days: -1, .programEnded,
               warning: "ESU program ended on 2026-10-13; migrate this host to a supported Windows Server"),
    ExpiryCase("after the program end, a year behind", [1, 2], today: "2026-12-04", end: "2025-10-14", days: -416, .programEnded,
               warning: "ESU program ended on 2026-10-13; migrate"),
    ExpiryCase("across a leap day", [1], today: "2024-02-28", end: "2024-10-08", days: 223, .covered),
]

@Suite struct ExpiryTests {
    typealias F = Fixture

    @Test(arguments: expiryTable)
    func expiry(_ c: ExpiryCase) {
        let e = Expiry.assess(licensed: c.licensed, catalog: F.catalog, today: F.day(c.today), horizon: c.horizon)
        #expect(e?.coverageEnd.description == c.end)
        #expect(e?.daysRemaining == c.days)
        #expect(e?.status == c.status)
        if let warning = c.warning {
            #expect(e?.warning?.contains(warning) == true, "warning: \(e?.warning ?? "nil")")
        } else {
            #expect(e?.warning == nil, "warning: \(e?.warning ?? "nil")")
        }
        if let days = c.days {
            #expect(e?.endsWithin(days) == true)
            #expect(e?.endsWithin(days - 1) == false)
        }
    }

    func row(_ facts: Facts, today: String, horizon: Int = 60) -> StatusRow {
        let ctx = F.context(today: today)
        return StatusRow(facts: facts, decision: Rules.decide(facts, ctx), catalog: F.catalog, hypervisorHost: false,
                         today: F.day(today), horizon: horizon)
    }

    @Test func statusRowCarriesTheExpiry() {
        let licensed = F.facts(kbs: F.prereqs, years: [.licensed, .licensed, .licensed])
        let r = row(licensed, today: "2026-09-01")
        #expect(r.coverageEnd == "2026-10-13" && r.daysRemaining == 42)
        #expect(r.expiryWarning?.contains("plan the migration") == true)
        #expect(r.expires(within: 42) && !r.expires(within: 41))
        let csv = StatusRow.csv([r]).split(separator: "\r\n")
        #expect(csv[0].hasSuffix(",coverageEnd,daysRemaining,expiryWarning"))
        #expect(csv[1].contains(",2026-10-13,42,"))
        #expect(row(licensed, today: "2026-01-15").expiryWarning == nil)
    }

    @Test func afterTheProgramEveryESUHostIsToldToMigrate() {
        let fresh = row(F.facts(), today: "2026-11-01")
        #expect(fresh.coverageEnd == nil && fresh.daysRemaining == nil)
        #expect(fresh.expiryWarning == "ESU program ended on 2026-10-13; migrate this host to a supported Windows Server")
        #expect(!fresh.expires(within: 60))
        let host = row(F.facts(version: "10.0.17763", caption: "Microsoft Windows Server 2019 Datacenter"), today: "2026-11-01")
        #expect(host.expiryWarning == nil && host.coverageEnd == nil)
        #expect(StatusRow(unreachable: "x", error: "refused").expires(within: 3650) == false)
    }

    @Test func withoutADayNoExpiryIsGuessed() {
        let facts = F.facts(kbs: F.prereqs, years: [.licensed, .licensed, .licensed])
        let r = StatusRow(facts: facts, decision: Rules.decide(facts, F.context()), catalog: F.catalog, hypervisorHost: false)
        #expect(r.coverageEnd == nil && r.expiryWarning == nil)
    }
}

@Suite struct OfflineActivationValueTests {
    @Test(arguments: [
        ("123456-234567-345678-456789-567890-678901-789012-890123", true),
        ("123456 234567 345678 456789 567890 678901 789012 890123", true),
        ("123456234567345678456789567890678901789012890123", true),
        ("12345623456734567845678956789067890178901289012", false), // 47 digits
        ("123456-234567-345678-456789-567890-678901-789012-89012A", false),
        ("", false),
    ])
    func confirmationIDShapes(_ text: String, _ valid: Bool) {
        let cid = try? ConfirmationID(text)
        #expect((cid != nil) == valid)
        if let cid {
            #expect(cid.digits.count == 48)
            #expect(cid.blocks.count == 8 && cid.blocks.allSatisfy { $0.count == 6 })
            #expect(cid.description == cid.blocks.joined(separator: "-"))
        }
    }

    @Test func installationIDBlocksOfSeven() {
        let iid = String(repeating: "0123456", count: 9)
        #expect(OfflineActivation.installationIDBlocks(iid) == Array(repeating: "0123456", count: 9))
        #expect(OfflineActivation.installationIDBlocks(String(iid.dropLast())) == nil)
        #expect(OfflineActivation.installationIDBlocks(String(iid.dropLast()) + "x") == nil)
        #expect(OfflineActivation.installationIDBlocks("") == nil)
    }
}
