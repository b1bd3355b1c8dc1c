import ESUCore
import Foundation
import Testing

@Suite struct PlanTests {
    typealias F = Fixture

    @Test func irrelevantFactsDoNotMatter() {
        var a = F.facts(kbs: F.prereqs)
        let before = DecisionInputs(a, catalog: F.catalog)
        a.hotfixes.append(Facts.Hotfix(id: F.kb("KB4571703")))
        a.os.lastBootUpTime = try? Timestamp("2026-01-01T00:00:00Z")
        a.evidence = Facts.Evidence(slmgrDlv: "changed")
        #expect(DecisionInputs(a, catalog: F.catalog) == before)
        #expect(DecisionInputs(a, catalog: F.catalog).canonicalJSON == before.canonicalJSON)
    }

    @Test func relevantChangesAreNamed() {
        let before = DecisionInputs(F.facts(kbs: ["KB5029368"]), catalog: F.catalog)
        let after = DecisionInputs(F.facts(kbs: F.prereqs, pending: true, years: [.keyInstalled, .absent, .absent]), catalog: F.catalog)
        let changes = before.changes(to: after)
        #expect(changes.contains("now installed: KB5017220"))
        #expect(changes.contains("restart pending false → true"))
        #expect(changes.contains("ESU Year 1: no key, absent → key installed, notification"))
        #expect(before.changes(to: before).isEmpty)
        #expect(before.canonicalJSON != after.canonicalJSON)
    }

    @Test func roundTripAndSummary() throws {
        let facts = F.facts()
        let d = Rules.decide(facts, F.context())
        let plan = Plan(createdAt: try Timestamp("2026-01-15T09:00:00Z"), createdBy: "ops@controller", decisionDay: F.day("2026-01-15"),
                        catalogVersion: F.catalog.catalogVersion, inventoryDigest: "abc", keyYears: [1, 2, 3], allowRestart: true,
                        hosts: [Plan.Host(host: "web01", factsDigest: "00", inputs: DecisionInputs(facts, catalog: F.catalog), state: d.state,
                                          steps: d.plannedSteps, projectedState: d.projectedState, reason: d.reason)],
                        unreachable: ["r2-offline": "connection refused"])
        #expect(try Plan.load(json: plan.jsonData) == plan)
        #expect(plan.summary.contains("  1. install servicing stack update KB5029368"))
        #expect(plan.summary.contains("r2-offline: unreachable — connection refused"))
        #expect(plan.summary.contains("2 hosts, 1 to change, 9 steps"))
        #expect(throws: PlanError.self) { try Plan.load(json: Data("{\"schema\": 1}".utf8)) }
    }
}
