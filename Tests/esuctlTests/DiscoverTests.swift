import Foundation
import Testing

/// `esuctl discover` against the lab's Hyper-V host, over the real SSH transport.
@Suite(.serialized) struct DiscoverTests {
    func object(_ run: ESUCtlRun) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)\n\(run.stderr)")
    }

    @Test func listsEveryLabGuestWithItsEligibilityAndWritesAnInventory() throws {
        let lab = try LabFleet()
        // Down (restarting): its host has no KVP data for it, so the OS is unknown, but it is listed.
        try lab.setGuest("r2-ssu-only", ["downUntil=2099-01-01T00:00:00Z"])

        let run = try lab.esuctl(["discover", "--hyperv-host", "hv-host", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let o = try object(run)
        let host = try #require(o["host"] as? [String: Any])
        #expect(host["name"] as? String == "hv-host")
        #expect(host["osVersion"] as? String == "10.0.17763")
        #expect(host["eligibility"] as? String == "notNeeded")
        #expect(host["catalogName"] as? String == "Windows Server 2019")
        let guests = try #require(o["guests"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: guests.map { ($0["name"] as! String, $0) })
        // Every simulated guest but the host itself (r2-unreachable has no VM behind it in the lab).
        #expect(byName.keys.sorted() == ["r2-arc", "r2-fresh", "r2-ja", "r2-key-installed", "r2-licensed", "r2-mak-exhausted",
                                          "r2-needs-restart", "r2-ssu-only", "s2012"])
        for name in ["r2-arc", "r2-fresh", "r2-ja", "r2-key-installed", "r2-licensed", "r2-mak-exhausted", "r2-needs-restart"] {
            #expect(byName[name]?["eligibility"] as? String == "eligible", "\(name)")
            #expect(byName[name]?["osVersion"] as? String == "6.3.9600", "\(name)")
            #expect(byName[name]?["catalogName"] as? String == "Windows Server 2012 R2", "\(name)")
            #expect(byName[name]?["ipv4"] as? String == "127.0.0.1", "\(name)")
            #expect(byName[name]?["power"] as? String == "running", "\(name)")
        }
        #expect(byName["s2012"]?["eligibility"] as? String == "eligible")
        #expect(byName["s2012"]?["catalogName"] as? String == "Windows Server 2012")
        #expect(byName["r2-ssu-only"]?["eligibility"] as? String == "unknown")
        #expect(byName["r2-ssu-only"]?["power"] as? String == "off")
        #expect(byName["r2-ssu-only"]?["osVersion"] is NSNull)
        #expect(o["written"] is NSNull)

        // The table says the same.
        let table = try lab.esuctl(["discover", "--hyperv-host", "hv-host"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("9 VMs on hv-host, 8 ESU-eligible."), "\(table.stdout)")
        #expect(table.stdout.contains("unknown (off or no KVP data)"))

        // --write appends to an existing file, skipping the names it already holds.
        let labInventory = try String(contentsOf: lab.dir.appendingPathComponent("inventory.ini"), encoding: .utf8)
        let freshLine = try #require(labInventory.split(separator: "\n").first { $0.hasPrefix("r2-fresh ") })
        let file = lab.base.appendingPathComponent("discovered.ini")
        let seed = "# hand-written\n[esu_guests]\n\(freshLine)"
        try Data(seed.utf8).write(to: file)
        let write = try lab.esuctl(["discover", "--hyperv-host", "hv-host", "--json", "--write", file.path])
        #expect(write.status == 0, "\(write.stderr)")
        let added = try #require(try object(write)["written"] as? [String])
        #expect(added == ["r2-arc", "r2-ja", "r2-key-installed", "r2-licensed", "r2-mak-exhausted", "r2-needs-restart", "s2012"])
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.hasPrefix(seed + "\n"))
        #expect(text.contains("\ns2012 ansible_host=127.0.0.1\n"))
        #expect(!text.contains("r2-ssu-only"))
        #expect(text.components(separatedBy: "r2-fresh ").count == 2)
        // A second run adds nothing and leaves the file as it was.
        let again = try lab.esuctl(["discover", "--hyperv-host", "hv-host", "--write", file.path])
        #expect(again.stdout.contains("nothing to add"))
        #expect(try String(contentsOf: file, encoding: .utf8) == text)

        // The written inventory is one esuctl reads: the cached facts of s2012 meet its new entry.
        _ = try lab.esuctl(["collect", "--limit", "s2012"])
        let status = try ESUCtl.run(["status", "-i", file.path, "--from-cache", "--json", "--now", "2026-01-15",
                                     "--state-dir", lab.base.appendingPathComponent("state").path])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]], "\(status.stderr)")
        let states = Dictionary(uniqueKeysWithValues: rows.map { ($0["host"] as! String, $0["state"] as! String) })
        #expect(states.keys.sorted() == ["r2-arc", "r2-fresh", "r2-ja", "r2-key-installed", "r2-licensed", "r2-mak-exhausted",
                                         "r2-needs-restart", "s2012"])
        #expect(states["s2012"] == "actionRequired")
    }

    @Test func aHostWithoutHyperVIsATypedError() throws {
        let lab = try LabFleet()
        let run = try lab.esuctl(["discover", "--hyperv-host", "r2-fresh"])
        #expect(run.status == 4)
        #expect(run.stderr.contains("not a Hyper-V host"), "\(run.stderr)")
        let unknown = try lab.esuctl(["discover", "--hyperv-host", "nosuchhost"])
        #expect(unknown.status == 2, "\(unknown.stderr)")
        let down = try lab.esuctl(["discover", "--hyperv-host", "r2-unreachable"])
        #expect(down.status == 4)
        #expect(down.stderr.contains("cannot reach r2-unreachable"), "\(down.stderr)")
    }
}
