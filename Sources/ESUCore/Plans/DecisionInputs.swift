import Foundation

/// The part of a host's facts the rules look at. A saved plan keeps it per host; `apply` compares
/// it with freshly collected facts and refuses the host when it differs (a stale plan), saying what
/// changed. Facts the rules ignore (other hotfixes, boot time) do not make a plan stale.
public struct DecisionInputs: Codable, Equatable, Sendable {
    public struct YearLicense: Codable, Equatable, Sendable {
        public let year: Int
        public let keyInstalled: Bool
        public let status: LicenseStatus?
    }

    public let version: OSVersion
    public let productType: Int
    /// The catalog updates (SSUs, preparation packages) the host has.
    public let relevantUpdates: [KB]
    public let restartPending: Bool
    public let esu: [YearLicense]
    public let arcESU: Bool

    public init(_ facts: Facts, catalog: Catalog) {
        version = facts.os.version
        productType = facts.os.productType
        let known = Set(catalog.eligibleOS.flatMap { $0.ssus.map(\.kb) + [$0.prepPackage.kb] })
        relevantUpdates = facts.installedKBs.intersection(known).sorted()
        restartPending = facts.pendingReboot.pending
        esu = catalog.years.map { y in
            let license = facts.license(y.activationId)
            return YearLicense(year: y.year.number, keyInstalled: license?.partialProductKey != nil, status: license?.licenseStatus)
        }
        arcESU = facts.arc.esuEnabled
    }

    /// What differs from `other`, in words, for the stale-plan message.
    public func changes(to other: DecisionInputs) -> [String] {
        var out: [String] = []
        if version != other.version { out.append("OS version \(version) → \(other.version)") }
        if productType != other.productType { out.append("product type \(productType) → \(other.productType)") }
        let added = Set(other.relevantUpdates).subtracting(relevantUpdates).sorted()
        let removed = Set(relevantUpdates).subtracting(other.relevantUpdates).sorted()
        if !added.isEmpty { out.append("now installed: \(added.map(\.description).joined(separator: ", "))") }
        if !removed.isEmpty { out.append("no longer installed: \(removed.map(\.description).joined(separator: ", "))") }
        if restartPending != other.restartPending { out.append("restart pending \(restartPending) → \(other.restartPending)") }
        for (a, b) in zip(esu, other.esu) where a != b {
            func text(_ l: YearLicense) -> String { "\(l.keyInstalled ? "key installed" : "no key"), \(l.status?.rawValue ?? "absent")" }
            out.append("ESU Year \(a.year): \(text(a)) → \(text(b))")
        }
        if arcESU != other.arcESU { out.append("Azure Arc ESU \(arcESU) → \(other.arcESU)") }
        return out
    }

    /// Canonical bytes to digest: sorted keys, no whitespace.
    public var canonicalJSON: Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try! enc.encode(self) // plain data: cannot fail
    }
}
