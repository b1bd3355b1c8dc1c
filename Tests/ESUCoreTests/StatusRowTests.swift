import ESUCore
import Foundation
import Testing

@Suite struct StatusRowTests {
    typealias F = Fixture

    func row(_ facts: Facts, hypervisor: Bool = false, keys: [Int] = [1, 2, 3]) -> StatusRow {
        StatusRow(facts: facts, decision: Rules.decide(facts, F.context(keys: keys)), catalog: F.catalog, hypervisorHost: hypervisor)
    }

    @Test func freshGuest() {
        let r = row(F.facts())
        #expect(r.role == "guest" && r.state == "actionRequired" && r.severity == 3)
        #expect(r.ssu == nil && r.prepInstalled == false && r.restartPending == false)
        #expect(r.next == "install servicing stack update KB5029368")
        #expect(r.esuYears.isEmpty)
    }

    @Test func licensedGuestShowsYearsAndTheNewestQualifyingSSU() {
        let r = row(F.facts(kbs: ["KB5029368", "KB5079233", "KB5017220"], years: [.licensed, .licensed, .licensed]))
        #expect(r.state == "compliant" && r.severity == 0)
        #expect(r.ssu == "KB5079233")
        #expect(r.esuYears == ["1 (MAK)", "2 (MAK)", "3 (MAK)"])
        #expect(r.next == nil)
    }

    @Test func arcAndHostRoles() {
        #expect(row(F.facts(kbs: F.prereqs, arc: true)).esuYears == ["1 (Arc)", "2 (Arc)", "3 (Arc)"])
        #expect(row(F.facts(version: "10.0.17763"), hypervisor: true).role == "hyperVHost")
        #expect(row(F.facts(version: "10.0.17763")).role == "notEligible")
        #expect(row(F.facts(version: "6.1.7601")).role == "outOfScope")
    }

    @Test func unreachableIsTheWorst() {
        let rows = [row(F.facts(kbs: F.prereqs, years: [.licensed, .licensed, .licensed])),
                    StatusRow(unreachable: "r2-offline", error: "connection refused")]
        #expect(rows[1].state == "unreachable" && rows[1].severity == 4)
        #expect(StatusRow.exitCode(rows) == 4)
        #expect(StatusRow.exitCode([rows[0]]) == 0)
        #expect(StatusRow.exitCode([]) == 0)
    }

    @Test func csvQuotesWhatNeedsIt() {
        let r = StatusRow(unreachable: "h1", error: "refused, \"twice\"")
        let csv = StatusRow.csv([r])
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines[0] == StatusRow.csvHeader.joined(separator: ","))
        #expect(lines[1] == "h1,unknown,unreachable,,,,,,,,\"refused, \"\"twice\"\"\",,,,,")
        #expect(csv.hasSuffix("\r\n"))
    }
}
