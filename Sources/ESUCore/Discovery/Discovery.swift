import Foundation

/// One virtual machine a Hyper-V host reported (`esuctl discover`), classified against the catalog.
public struct DiscoveredGuest: Equatable, Sendable {
    public enum PowerState: String, Sendable {
        case running, off, other
    }

    /// Whether the machine needs ESU, as far as its host can tell.
    public enum Eligibility: String, Sendable {
        /// Windows Server 2012 / 2012 R2: an ESU target.
        case eligible
        /// A Windows version still in mainstream or extended support (or the Hyper-V host itself).
        case notNeeded
        /// A version the catalog knows neither as ESU-eligible nor as in support.
        case unsupported
        /// The host could not tell: the VM is off or its KVP integration service is not running.
        case unknown
    }

    /// The VM's name in Hyper-V (`Msvm_ComputerSystem.ElementName`).
    public let name: String
    public let power: PowerState
    public let osName: String?
    public let osVersion: String?
    public let fqdn: String?
    /// The first usable IPv4 address the guest reported.
    public let ipv4: String?
    public let eligibility: Eligibility
    /// The catalog's name for the OS when it is known (`Windows Server 2012 R2`).
    public let catalogName: String?

    public init(name: String, power: PowerState, osName: String?, osVersion: String?, fqdn: String?, ipv4: String?,
                eligibility: Eligibility, catalogName: String?) {
        self.name = name; self.power = power; self.osName = osName; self.osVersion = osVersion
        self.fqdn = fqdn; self.ipv4 = ipv4; self.eligibility = eligibility; self.catalogName = catalogName
    }
}

/// The pure part of `esuctl discover`: KVP items to records, records to inventory lines.
public enum Discovery {
    /// `Msvm_ComputerSystem.EnabledState`: 2 Enabled (running), 3 Disabled (off).
    public static func power(enabledState: Int?) -> DiscoveredGuest.PowerState {
        switch enabledState {
        case 2: .running
        case 3: .off
        default: .other
        }
    }

    /// Classifies one VM from its `GuestIntrinsicExchangeItems` (Name → Data); `items` is nil when the
    /// host has no KVP data for it (off, or the integration service is missing).
    public static func classify(name: String, enabledState: Int?, items: [String: String]?, catalog: Catalog) -> DiscoveredGuest {
        let power = power(enabledState: enabledState)
        func item(_ key: String) -> String? {
            guard let v = items?.first(where: { $0.key.caseInsensitiveCompare(key) == .orderedSame })?.value else { return nil }
            let t = v.trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : t
        }
        let osName = item("OSName"), osVersion = item("OSVersion")
        let ipv4 = item("NetworkAddressIPv4").flatMap(firstIPv4)
        let (eligibility, catalogName) = power == .off && items == nil ? (.unknown, nil) : classify(osVersion: osVersion, catalog: catalog)
        return DiscoveredGuest(name: name, power: power, osName: osName, osVersion: osVersion, fqdn: item("FullyQualifiedDomainName"),
                               ipv4: ipv4, eligibility: eligibility, catalogName: catalogName)
    }

    /// The Hyper-V host itself, classified by its own OS like any machine (a 2019 host needs no
    /// ESU; a 2012 R2 host would). It is never written to the inventory: it is already in it.
    public static func host(name: String, osName: String?, osVersion: String?, catalog: Catalog) -> DiscoveredGuest {
        let (e, catalogName) = classify(osVersion: osVersion, catalog: catalog)
        return DiscoveredGuest(name: name, power: .running, osName: osName, osVersion: osVersion, fqdn: nil, ipv4: nil,
                               eligibility: e, catalogName: catalogName)
    }

    static func classify(osVersion: String?, catalog: Catalog) -> (DiscoveredGuest.Eligibility, String?) {
        guard let text = osVersion, let version = try? OSVersion(text) else { return (.unknown, nil) }
        if let os = catalog.eligible(version) { return (.eligible, os.name) }
        if let os = catalog.inSupport(version) { return (.notNeeded, os.name) }
        // Newer than anything the catalog lists: supported, no ESU needed.
        if let newest = catalog.inSupportOS.map(\.version).max(), version > newest { return (.notNeeded, nil) }
        return (.unsupported, nil)
    }

    /// `NetworkAddressIPv4` holds `;`-separated addresses: the first that is not link-local (APIPA), else the first.
    static func firstIPv4(_ text: String) -> String? {
        let candidates = text.split(whereSeparator: { $0 == ";" || $0 == "," || $0 == " " }).map(String.init).filter(isIPv4)
        return candidates.first { !$0.hasPrefix("169.254.") } ?? candidates.first
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy { $0.isASCII && $0.isNumber } && Int(p)! <= 255
        }
    }

    /// An Ansible host name for a VM name: letters, digits, `.`, `_`, `-`; anything else becomes `-`.
    public static func inventoryName(_ vmName: String) -> String {
        let mapped = String(vmName.trimmingCharacters(in: .whitespaces).map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-") ? c : "-"
        })
        return mapped.isEmpty ? "-" : mapped
    }

    /// The host names an INI inventory already holds (first word of every line that is not a
    /// section header, comment, blank or `key=value` line under a `:vars` section).
    public static func inventoryNames(in text: String) -> Set<String> {
        var names = Set<String>()
        var inVars = false
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") { inVars = line.lowercased().hasSuffix(":vars]") || line.lowercased().hasSuffix(":children]"); continue }
            if inVars { continue }
            if let first = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first { names.insert(String(first)) }
        }
        return names
    }

    /// What `--write` appends to an inventory whose current text is `existing` (empty for a new
    /// file): an `[esu_guests]` section with `name ansible_host=IPv4` for every eligible guest that
    /// has an IPv4 address and whose name the inventory does not already hold. Empty when there is
    /// nothing to add. Never rewrites `existing`.
    public static func inventoryAppendix(_ guests: [DiscoveredGuest], existing: String) -> (text: String, added: [String]) {
        var present = inventoryNames(in: existing)
        var lines: [String] = []
        var added: [String] = []
        for g in guests where g.eligibility == .eligible {
            guard let ip = g.ipv4 else { continue }
            let name = inventoryName(g.name)
            guard !present.contains(name) else { continue }
            present.insert(name)
            lines.append("\(name) ansible_host=\(ip)")
            added.append(name)
        }
        guard !lines.isEmpty else { return ("", []) }
        var text = ""
        if !existing.isEmpty && !existing.hasSuffix("\n") { text += "\n" }
        if !existing.isEmpty { text += "\n" }
        text += "# added by esuctl discover\n[esu_guests]\n" + lines.joined(separator: "\n") + "\n"
        return (text, added)
    }
}
