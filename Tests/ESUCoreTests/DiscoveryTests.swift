import ESUCore
import Foundation
import Testing

@Suite struct DiscoveryTests {
    let catalog = Fixture.catalog

    /// (VM name, EnabledState, KVP items or nil, expected eligibility, expected power, expected IPv4)
    @Test(arguments: [
        ("r2", 2, ["OSName": "Windows Server 2012 R2 Standard", "OSVersion": "6.3.9600", "NetworkAddressIPv4": "10.0.0.5"],
         DiscoveredGuest.Eligibility.eligible, DiscoveredGuest.PowerState.running, "10.0.0.5" as String?),
        ("w2012", 2, ["OSName": "Windows Server 2012 Standard", "OSVersion": "6.2.9200", "NetworkAddressIPv4": "169.254.1.2;10.0.0.6"],
         .eligible, .running, "10.0.0.6"),
        ("w2019", 2, ["OSName": "Windows Server 2019 Datacenter", "OSVersion": "10.0.17763", "NetworkAddressIPv4": "10.0.0.7"],
         .notNeeded, .running, "10.0.0.7"),
        ("future", 2, ["OSVersion": "10.0.30000"], .notNeeded, .running, nil),
        ("w2008r2", 2, ["OSName": "Windows Server 2008 R2", "OSVersion": "6.1.7601", "NetworkAddressIPv4": "fe80::1"],
         .unsupported, .running, nil),
        ("off", 3, nil, .unknown, .off, nil),
        ("no-kvp", 2, nil, .unknown, .running, nil),
        ("empty-kvp", 2, [:], .unknown, .running, nil),
        ("garbage-version", 2, ["OSVersion": "six"], .unknown, .running, nil),
        ("lower-case-keys", 2, ["osversion": " 6.3.9600 ", "networkaddressipv4": "192.168.1.9"], .eligible, .running, "192.168.1.9"),
        ("saving", 32774, nil, .unknown, .other, nil),
    ] as [(String, Int, [String: String]?, DiscoveredGuest.Eligibility, DiscoveredGuest.PowerState, String?)])
    func classifiesKVPItems(name: String, state: Int, items: [String: String]?, eligibility: DiscoveredGuest.Eligibility,
                            power: DiscoveredGuest.PowerState, ipv4: String?) {
        let g = Discovery.classify(name: name, enabledState: state, items: items, catalog: catalog)
        #expect(g.name == name)
        #expect(g.eligibility == eligibility)
        #expect(g.power == power)
        #expect(g.ipv4 == ipv4)
    }

    @Test func namesTheCatalogOS() {
        let g = Discovery.classify(name: "a", enabledState: 2, items: ["OSVersion": "6.3.9600", "FullyQualifiedDomainName": "a.corp.example"],
                                   catalog: catalog)
        #expect(g.catalogName == "Windows Server 2012 R2")
        #expect(g.fqdn == "a.corp.example")
        let host = Discovery.host(name: "hv", osName: "Microsoft Windows Server 2019 Datacenter", osVersion: "10.0.17763", catalog: catalog)
        #expect(host.eligibility == .notNeeded)
        #expect(host.catalogName == "Windows Server 2019")
    }

    func guest(_ name: String, _ e: DiscoveredGuest.Eligibility, _ ip: String?) -> DiscoveredGuest {
        DiscoveredGuest(name: name, power: .running, osName: nil, osVersion: nil, fqdn: nil, ipv4: ip, eligibility: e, catalogName: nil)
    }

    @Test func appendsOnlyEligibleGuestsWithAnAddress() {
        let guests = [guest("a", .eligible, "10.0.0.1"), guest("b", .notNeeded, "10.0.0.2"), guest("c", .eligible, nil),
                      guest("d", .unknown, "10.0.0.4"), guest("my vm", .eligible, "10.0.0.5")]
        let (text, added) = Discovery.inventoryAppendix(guests, existing: "")
        #expect(added == ["a", "my-vm"])
        #expect(text == "# added by esuctl discover\n[esu_guests]\na ansible_host=10.0.0.1\nmy-vm ansible_host=10.0.0.5\n")
    }

    @Test func skipsNamesAlreadyInTheInventory() {
        let existing = "[hyperv_hosts]\nhv ansible_host=10.0.0.9\n\n[esu_guests]\na ansible_host=10.0.0.1\n\n[esu_guests:vars]\nb=1"
        let (text, added) = Discovery.inventoryAppendix([guest("a", .eligible, "10.9.9.9"), guest("b", .eligible, "10.0.0.2"),
                                                         guest("hv", .eligible, "10.0.0.9")], existing: existing)
        #expect(added == ["b"]) // `b=1` under :vars is a variable, not a host
        #expect(text == "\n\n# added by esuctl discover\n[esu_guests]\nb ansible_host=10.0.0.2\n")
        let (none, nothing) = Discovery.inventoryAppendix([guest("a", .eligible, "10.0.0.1")], existing: existing)
        #expect(none.isEmpty && nothing.isEmpty)
    }

    @Test func readsInventoryNames() {
        let names = Discovery.inventoryNames(in: "# c\nloose\n[g]\nx ansible_host=1.2.3.4\n; y\n[g:children]\nsub\n[h]\n  z\n")
        #expect(names == ["loose", "x", "z"])
    }
}
