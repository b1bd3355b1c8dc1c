@testable import ESUCore
import Foundation
import Testing

/// One row of the rules table: a host's facts and the operator's context in, the expected decision out.
struct RuleCase: CustomTestStringConvertible, Sendable {
    let name: String
    let facts: Facts
    let context: DecisionContext
    let state: HostState
    let next: Step?
    let planned: [Step]?
    let projected: HostState?
    let reasonContains: String
    let remedyContains: String?

    init(_ name: String, _ facts: Facts, _ context: DecisionContext = Fixture.context(), state: HostState,
         next: Step? = nil, planned: [Step]? = nil, projected: HostState? = nil, reason: String, remedy: String? = nil) {
        self.name = name; self.facts = facts; self.context = context; self.state = state; self.next = next
        self.planned = planned; self.projected = projected; self.reasonContains = reason; self.remedyContains = remedy
    }

    var testDescription: String { name }
}

private typealias F = Fixture
private let ssu = Step.installSSU(F.kb("KB5029368"))
private let prep = Step.installPrep(F.kb("KB5017220"))
private func key(_ n: Int) -> Step { .installKey(F.year(n)) }
private func act(_ n: Int) -> Step { .activate(F.year(n), F.yearIDs[n - 1]) }
private let restart = Step.restart(reason: "")

let ruleTable: [RuleCase] = [
    // Which hosts need ESU at all.
    RuleCase("2019 Hyper-V host", F.facts(version: "10.0.17763", caption: "Microsoft Windows Server 2019 Datacenter"),
             state: .notApplicable, planned: [], reason: "Windows Server 2019 (10.0.17763) is in support; no ESU needed"),
    RuleCase("2016", F.facts(version: "10.0.14393"), state: .notApplicable, reason: "Windows Server 2016 (10.0.14393) is in support"),
    RuleCase("2022", F.facts(version: "10.0.20348"), state: .notApplicable, reason: "Windows Server 2022 (10.0.20348) is in support"),
    RuleCase("2025", F.facts(version: "10.0.26100"), state: .notApplicable, reason: "Windows Server 2025 (10.0.26100) is in support"),
    RuleCase("a newer build not in the catalog", F.facts(version: "10.0.30000", caption: "Microsoft Windows Server vNext"),
             state: .notApplicable, reason: "is newer than Windows Server 2012 R2; no ESU needed"),
    RuleCase("2008 R2 is out of scope", F.facts(version: "6.1.7601", caption: "Microsoft Windows Server 2008 R2 Standard"),
             state: .blocked, reason: "6.1.7601) is not covered", remedy: "outside esuctl"),
    RuleCase("Windows 8.1 client", F.facts(version: "6.3.9600", caption: "Microsoft Windows 8.1 Pro", productType: 1),
             state: .blocked, reason: "client edition", remedy: "outside esuctl"),
    RuleCase("2012 R2 domain controller is eligible", F.facts(productType: 2), state: .actionRequired, next: ssu,
             reason: "no servicing stack update"),

    // Prerequisites.
    RuleCase("nothing installed", F.facts(), state: .actionRequired, next: ssu,
             planned: [ssu, prep, restart, key(1), act(1), key(2), act(2), key(3), act(3)], projected: .compliant,
             reason: "no servicing stack update released on or after 2023-08-08"),
    RuleCase("2012: its own SSU and prep package", F.facts(version: "6.2.9200", caption: "Microsoft Windows Server 2012 Standard"),
             state: .actionRequired, next: .installSSU(F.kb("KB5029369")),
             planned: [.installSSU(F.kb("KB5029369")), .installPrep(F.kb("KB5017221")), restart, key(1), act(1), key(2), act(2), key(3), act(3)],
             projected: .compliant, reason: "KB5029369"),
    RuleCase("2012 R2 SSU on a 2012 guest does not count", F.facts(version: "6.2.9200", kbs: ["KB5029368", "KB5017221"]),
             state: .actionRequired, next: .installSSU(F.kb("KB5029369")), reason: "no servicing stack update"),
    RuleCase("an old SSU does not qualify", F.facts(kbs: ["KB3173424", "KB5017220"]), state: .actionRequired, next: ssu,
             reason: "no servicing stack update"),
    RuleCase("a later SSU qualifies", F.facts(kbs: ["KB5030329"]), state: .actionRequired, next: prep,
             reason: "KB5017220 is not installed"),
    RuleCase("the 2026 SSU qualifies", F.facts(kbs: ["KB5079233", "KB5017220"]), state: .actionRequired, next: key(1),
             reason: "ESU Year 1 key is not installed"),
    RuleCase("prep without SSU: SSU first", F.facts(kbs: ["KB5017220"]), state: .actionRequired, next: ssu,
             planned: [ssu, key(1), act(1), key(2), act(2), key(3), act(3)], reason: "servicing stack"),
    RuleCase("pending restart does not hold back prerequisites", F.facts(pending: true), state: .actionRequired, next: ssu,
             reason: "servicing stack"),

    // Restarts.
    RuleCase("prerequisites then a pending restart", F.facts(kbs: F.prereqs, pending: true), state: .actionRequired, next: restart,
             planned: [restart, key(1), act(1), key(2), act(2), key(3), act(3)], projected: .compliant,
             reason: "a restart is pending (CBS RebootPending) and must happen before the ESU Year 1 key can be installed"),
    RuleCase("restart not allowed blocks the key", F.facts(kbs: F.prereqs, pending: true), F.context(allowRestart: false),
             state: .blocked, planned: [], projected: .blocked, reason: "a restart is pending", remedy: "--allow-restart"),
    RuleCase("without --allow-restart a fresh guest stops before the key", F.facts(), F.context(allowRestart: false),
             state: .actionRequired, next: ssu, planned: [ssu, prep], projected: .blocked, reason: "servicing stack"),
    RuleCase("an installed key is activated despite a pending restart", F.facts(kbs: F.prereqs, pending: true, years: [.keyInstalled, .absent, .absent]),
             state: .actionRequired, next: act(1), reason: "key is installed but not activated"),

    // Keys and activation, oldest year first.
    RuleCase("prerequisites done: Year 1 key", F.facts(kbs: F.prereqs), state: .actionRequired, next: key(1),
             planned: [key(1), act(1), key(2), act(2), key(3), act(3)], projected: .compliant, reason: "ESU Year 1 key is not installed"),
    RuleCase("key installed: activate with the ESU Activation ID", F.facts(kbs: F.prereqs, years: [.keyInstalled, .absent, .absent]),
             state: .actionRequired, next: act(1), planned: [act(1), key(2), act(2), key(3), act(3)],
             reason: "license status notification"),
    RuleCase("Year 1 licensed: Year 2 next", F.facts(kbs: F.prereqs, years: [.licensed, .absent, .absent]),
             state: .actionRequired, next: key(2), reason: "ESU Year 2 key"),
    RuleCase("Year 3 key installed, 1 and 2 licensed", F.facts(kbs: F.prereqs, years: [.licensed, .licensed, .keyInstalled]),
             state: .actionRequired, next: act(3), planned: [act(3)], projected: .compliant, reason: "Year 3"),
    RuleCase("an older year's gap is filled first", F.facts(kbs: F.prereqs, years: [.absent, .licensed, .licensed]),
             state: .actionRequired, next: key(1), planned: [key(1), act(1)], reason: "Year 1"),
    RuleCase("all three licensed", F.facts(kbs: F.prereqs, years: [.licensed, .licensed, .licensed]),
             state: .compliant, planned: [], projected: .compliant, reason: "ESU Years 1, 2, 3 licensed (MAK)"),
    RuleCase("compliant even with a pending restart", F.facts(kbs: F.prereqs, pending: true, years: [.licensed, .licensed, .licensed]),
             F.context(allowRestart: false), state: .compliant, reason: "licensed (MAK)"),

    // Which years: those with a key whose coverage has begun.
    RuleCase("no key for Year 1 while Year 2 needs it", F.facts(kbs: F.prereqs), F.context(keys: [2, 3]),
             state: .blocked, planned: [], reason: "ESU Year 1 is not licensed and no key is held for it, but ESU Year 2",
             remedy: "year1 ="),
    RuleCase("no key for Year 1 but it is already licensed", F.facts(kbs: F.prereqs, years: [.licensed, .absent, .absent]), F.context(keys: [2, 3]),
             state: .actionRequired, next: key(2), planned: [key(2), act(2), key(3), act(3)], reason: "Year 2"),
    RuleCase("gap in the middle", F.facts(kbs: F.prereqs, years: [.licensed, .absent, .absent]), F.context(keys: [1, 3]),
             state: .blocked, reason: "ESU Year 2 is not licensed and no key is held for it, but ESU Year 3", remedy: "ESUCTL_ESU_KEY_YEAR2"),
    RuleCase("no Year 3 key: compliant for what was bought, with a warning", F.facts(kbs: F.prereqs, years: [.licensed, .licensed, .absent]),
             F.context(keys: [1, 2]), state: .compliant, reason: "ESU Years 1, 2 licensed"),
    RuleCase("no keys and nothing licensed", F.facts(kbs: F.prereqs), F.context(keys: []),
             state: .blocked, reason: "no ESU year is licensed and no key is held", remedy: "year3 ="),
    RuleCase("a key already on the host is activated without holding it", F.facts(kbs: F.prereqs, years: [.keyInstalled, .absent, .absent]),
             F.context(keys: []), state: .actionRequired, next: act(1), planned: [act(1)], projected: .compliant, reason: "not activated"),
    RuleCase("no keys: prerequisites are still installed", F.facts(), F.context(keys: []),
             state: .actionRequired, next: ssu, planned: [ssu, prep], projected: .blocked, reason: "servicing stack"),
    RuleCase("only Year 1 has begun", F.facts(kbs: F.prereqs), F.context(today: "2024-01-15"),
             state: .actionRequired, next: key(1), planned: [key(1), act(1)], projected: .compliant, reason: "Year 1"),
    RuleCase("first day of Year 2", F.facts(kbs: F.prereqs, years: [.licensed, .absent, .absent]), F.context(today: "2024-10-09"),
             state: .actionRequired, next: key(2), planned: [key(2), act(2)], reason: "Year 2"),
    RuleCase("last day of Year 1", F.facts(kbs: F.prereqs, years: [.licensed, .absent, .absent]), F.context(today: "2024-10-08"),
             state: .compliant, planned: [], reason: "ESU Year 1 licensed"),
    RuleCase("before any coverage", F.facts(kbs: F.prereqs), F.context(today: "2023-09-01"),
             state: .compliant, planned: [], reason: "no ESU year has begun by 2023-09-01"),
    RuleCase("a year with a key that has not begun is not installed early", F.facts(), F.context(today: "2023-09-01"),
             state: .actionRequired, next: ssu, planned: [ssu, prep], projected: .compliant, reason: "servicing stack"),

    // Azure Arc: prerequisites, never a MAK.
    RuleCase("Arc: prerequisites still needed", F.facts(arc: true), state: .actionRequired, next: ssu,
             planned: [ssu, prep, restart], projected: .compliant, reason: "servicing stack"),
    RuleCase("Arc: restart after the prep package", F.facts(kbs: F.prereqs, pending: true, arc: true), state: .actionRequired,
             next: restart, planned: [restart], reason: "before Azure Arc ESU takes effect"),
    RuleCase("Arc: restart not allowed", F.facts(kbs: F.prereqs, pending: true, arc: true), F.context(allowRestart: false),
             state: .blocked, reason: "before Azure Arc ESU takes effect", remedy: "--allow-restart"),
    RuleCase("Arc: compliant without any key", F.facts(kbs: F.prereqs, arc: true), F.context(keys: []),
             state: .compliant, planned: [], reason: "ESU Years 1, 2, 3 licensed through Azure Arc"),
    RuleCase("Arc: keys held are not pushed", F.facts(kbs: F.prereqs, arc: true), state: .compliant, planned: [],
             reason: "through Azure Arc"),
]

@Suite struct DecisionTableTests {
    @Test(arguments: ruleTable)
    func rule(_ c: RuleCase) {
        let d = Rules.decide(c.facts, c.context)
        #expect(d.state == c.state)
        #expect(d.host == c.facts.host)
        #expect(sameStep(d.nextStep, c.next), "next \(String(describing: d.nextStep))")
        if let planned = c.planned {
            #expect(d.plannedSteps.count == planned.count && zip(d.plannedSteps, planned).allSatisfy(sameStep),
                    "planned \(d.plannedSteps.map(\.summary))")
        }
        if let projected = c.projected { #expect(d.projectedState == projected) }
        #expect(d.reason.contains(c.reasonContains), "reason: \(d.reason)")
        if let remedy = c.remedyContains {
            #expect(d.remedy?.contains(remedy) == true, "remedy: \(d.remedy ?? "nil")")
        } else if c.state != .blocked {
            #expect(d.remedy == nil)
        }
        if c.state == .actionRequired { #expect(d.plannedSteps.first.map { sameStep($0, d.nextStep) } == true) }
        else { #expect(d.nextStep == nil) }
    }

    /// Restart reasons are prose; the table matches restarts by kind alone.
    func sameStep(_ a: Step?, _ b: Step?) -> Bool {
        if case .restart = a, case .restart = b { return true }
        return a == b
    }
}

@Suite struct DecisionDetailTests {
    @Test func compliantListsYearsAndChannel() {
        let d = Rules.decide(F.facts(kbs: F.prereqs, years: [.licensed, .licensed, .absent]), F.context(keys: [1, 2]))
        #expect(d.licensedYears == [LicensedYear(year: F.year(1), via: .mak), LicensedYear(year: F.year(2), via: .mak)])
        #expect(d.warnings.contains { $0.contains("ESU Year 3 coverage began 2025-10-15 but no key is held") })
    }

    @Test func arcYearsAreThoseBegun() {
        let d = Rules.decide(F.facts(kbs: F.prereqs, arc: true), F.context(today: "2024-11-01"))
        #expect(d.licensedYears == [LicensedYear(year: F.year(1), via: .arc), LicensedYear(year: F.year(2), via: .arc)])
        #expect(d.warnings.contains { $0.contains("does not install MAK keys") })
    }

    @Test(arguments: [("2026-10-13", false), ("2026-10-14", true), ("2026-12-04", true), ("2025-01-01", false)])
    func warnsAfterProgramEnd(_ today: String, _ warns: Bool) {
        let d = Rules.decide(F.facts(kbs: F.prereqs, years: [.licensed, .licensed, .licensed]), F.context(today: today))
        #expect(d.warnings.contains { $0.contains("the ESU program ended on 2026-10-13") } == warns)
        #expect(d.state == .compliant)
    }

    @Test func warnsAboutLookAlikeActivationIDs() {
        let wrong = Facts.License(activationId: F.id("553673ed-6ddf-419c-a153-b760283472fd"), name: "Server-ESU-Year1 (2008 R2)",
                                  partialProductKey: "XY7Q9", licenseStatus: .notification)
        let d = Rules.decide(F.facts(kbs: F.prereqs, extraLicenses: [wrong]), F.context())
        #expect(d.warnings.contains { $0.contains("553673ed-6ddf-419c-a153-b760283472fd") && $0.contains("Windows Server 2008/2008 R2 ESU") })
        #expect(d.nextStep == .installKey(F.year(1)))
    }

    @Test func notApplicableHostsGetNoWarningsOrSteps() {
        let d = Rules.decide(F.facts(version: "10.0.17763"), F.context(today: "2026-12-04"))
        #expect(d.role == .inSupport && d.warnings.isEmpty && d.plannedSteps.isEmpty && d.licensedYears.isEmpty)
    }

    @Test func decisionJSONHasTheContractShape() throws {
        let d = Rules.decide(F.facts(kbs: F.prereqs, years: [.keyInstalled, .absent, .absent]), F.context())
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(d)) as! [String: Any]
        for key in ["host", "state", "nextStep", "plannedSteps", "reason", "warnings"] { #expect(object[key] != nil, "\(key)") }
        let next = object["nextStep"] as! [String: Any]
        #expect(next["kind"] as? String == "activate")
        #expect(next["year"] as? Int == 1)
        #expect(next["activationId"] as? String == "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")
        let compliant = Rules.decide(F.facts(kbs: F.prereqs, years: [.licensed, .licensed, .licensed]), F.context())
        let c = try JSONSerialization.jsonObject(with: JSONEncoder().encode(compliant)) as! [String: Any]
        #expect(c["nextStep"] is NSNull)
        #expect(c["remedy"] == nil)
    }

    @Test func stepsRoundTripThroughJSON() throws {
        let steps: [Step] = [ssu, prep, .restart(reason: "prep installed"), key(2), act(3)]
        let back = try JSONDecoder().decode([Step].self, from: JSONEncoder().encode(steps))
        #expect(back == steps)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Step.self, from: Data(#"{"kind":"format-disk"}"#.utf8)) }
    }

    @Test func activationIDCaseInFactsDoesNotMatter() throws {
        var facts = F.facts(kbs: F.prereqs)
        facts.licenses.append(Facts.License(activationId: try ActivationID("C0A2EA62-12AD-435B-AB4F-C9BFAB48DBC4"),
                                            partialProductKey: "QQ7Q9", licenseStatus: .licensed))
        #expect(Rules.decide(facts, F.context()).nextStep == key(2))
    }
}

/// Exhaustive check over a small but complete state space: every combination of SSU, prep,
/// restart flag, per-year license state, Arc, held keys, restart permission and date. The
/// invariants below are the rules in their general form; a table can miss a combination, this cannot.
@Suite struct DecisionInvariantTests {
    @Test func invariantsHoldEverywhere() {
        let ssuChoices: [[String]] = [[], ["KB5029368"], ["KB5079233"]]
        let days = ["2023-09-01", "2024-01-15", "2026-01-15", "2026-12-04"]
        let keySets: [[Int]] = [[], [1], [2], [3], [1, 2], [1, 3], [2, 3], [1, 2, 3]]
        var checked = 0
        for ssuKBs in ssuChoices { for prepDone in [false, true] { for pending in [false, true] {
        for y1 in F.YearState.allCases { for y2 in F.YearState.allCases { for y3 in F.YearState.allCases {
        for arc in [false, true] { for keys in keySets { for allow in [false, true] { for today in days {
            let facts = F.facts(kbs: ssuKBs + (prepDone ? ["KB5017220"] : []), pending: pending, years: [y1, y2, y3], arc: arc)
            let ctx = F.context(keys: keys, today: today, allowRestart: allow)
            check(facts, ctx)
            checked += 1
        }}}}}}}}}}
        #expect(checked == 3 * 2 * 2 * 27 * 2 * 8 * 2 * 4)
    }

    func check(_ facts: Facts, _ ctx: DecisionContext) {
        let d = Rules.decide(facts, ctx)
        var label: String { "\(facts.installedKBs.sorted()) pending=\(facts.pendingReboot.pending) lic=\(facts.licenses.map { "\($0.activationId.value.prefix(4)):\($0.licenseStatus)" }) arc=\(facts.arc.esuEnabled) keys=\(ctx.keyYears.map(\.number).sorted()) allow=\(ctx.allowRestart) today=\(ctx.today)" }
        // Determinism: the same question gets the same answer.
        guard d == Rules.decide(facts, ctx) else { Issue.record("nondeterministic: \(label)"); return }
        guard d.projectedState != .actionRequired else { Issue.record("projection did not settle: \(label)"); return }
        guard (d.state == .actionRequired) == (d.nextStep != nil), d.nextStep == d.plannedSteps.first || d.state != .actionRequired
        else { Issue.record("nextStep inconsistent: \(label)"); return }

        // Walk the plan: every intermediate decision names exactly the next planned step.
        var f = facts
        var sawPrereqsDone = false
        for (i, step) in d.plannedSteps.enumerated() {
            let now = Rules.assess(f, ctx)
            guard now.step == step else { Issue.record("step \(i) differs when re-decided: \(label)"); return }
            switch step {
            case .installSSU, .installPrep:
                if sawPrereqsDone { Issue.record("prerequisite after a key step: \(label)") }
            case .restart:
                if !ctx.allowRestart { Issue.record("restart planned without permission: \(label)") }
                if !f.pendingReboot.pending { Issue.record("restart with nothing pending: \(label)") }
            case .installKey(let y):
                sawPrereqsDone = true
                if f.arc.esuEnabled { Issue.record("MAK key on an Arc host: \(label)") }
                if !ctx.keyYears.contains(y) { Issue.record("key for a year without a key: \(label)") }
                if f.pendingReboot.pending { Issue.record("key installed with a restart pending: \(label)") }
                if F.catalog.year(y)!.coverageStart > ctx.today { Issue.record("key for a year not begun: \(label)") }
                if f.license(F.catalog.year(y)!.activationId)?.partialProductKey != nil { Issue.record("key reinstalled: \(label)") }
                let missingPrereq = !f.installedKBs.contains(F.kb("KB5017220"))
                if missingPrereq { Issue.record("key before prep: \(label)") }
            case .activate(let y, let id):
                sawPrereqsDone = true
                if F.catalog.year(y)!.activationId != id { Issue.record("wrong Activation ID: \(label)") }
                if f.arc.esuEnabled { Issue.record("activation on an Arc host: \(label)") }
            }
            f = f.applyingExpectedEffect(of: step, catalog: F.catalog)
        }
        if Set(d.plannedSteps.map(\.summary)).count != d.plannedSteps.count { Issue.record("a step repeats: \(label)") }

        // Where the plan ends: compliant means every begun year with a key is licensed.
        let end = Rules.assess(f, ctx)
        guard end.state == d.projectedState else { Issue.record("projectedState disagrees with the end state: \(label)"); return }
        if end.state == .compliant, !f.arc.esuEnabled {
            for y in F.catalog.yearsBegun(by: ctx.today) where ctx.keyYears.contains(y.year) {
                if f.license(y.activationId)?.licenseStatus != .licensed { Issue.record("compliant but \(y.year) unlicensed: \(label)") }
            }
        }
        if end.state == .blocked, end.remedy == nil { Issue.record("blocked without a remedy: \(label)") }
    }
}
