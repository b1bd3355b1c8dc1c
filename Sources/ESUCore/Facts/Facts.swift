import Foundation

/// Everything esuctl knows about one host at one moment (facts schema 1, see docs/facts-schema.md).
/// Collection produces it; decisions, plans, reports and the audit log all speak in it.
public struct Facts: Codable, Equatable, Sendable {
    public static let currentSchema = 1

    public var schema: Int
    public var host: String
    public var collectedAt: Timestamp
    public var os: OperatingSystem
    public var hotfixes: [Hotfix]
    public var pendingReboot: PendingReboot
    public var licenses: [License]
    public var arc: Arc
    public var evidence: Evidence
    /// The guest's own clock when it collected, for clock-skew checks (absent in hand-made files).
    public var guestTime: Timestamp?
    /// Where `licenses` came from: `wmi`, or `slmgr` when WMI failed and the slmgr text was parsed.
    public var licenseSource: String?

    public init(schema: Int = Facts.currentSchema, host: String, collectedAt: Timestamp, os: OperatingSystem,
                hotfixes: [Hotfix], pendingReboot: PendingReboot, licenses: [License],
                arc: Arc = Arc(esuEnabled: false), evidence: Evidence = Evidence(slmgrDlv: nil),
                guestTime: Timestamp? = nil, licenseSource: String? = nil) {
        self.schema = schema; self.host = host; self.collectedAt = collectedAt; self.os = os
        self.hotfixes = hotfixes; self.pendingReboot = pendingReboot; self.licenses = licenses
        self.arc = arc; self.evidence = evidence; self.guestTime = guestTime; self.licenseSource = licenseSource
    }

    public struct OperatingSystem: Codable, Equatable, Sendable {
        public var caption: String
        public var version: OSVersion
        /// Win32_OperatingSystem.ProductType: 1 workstation, 2 domain controller, 3 server.
        public var productType: Int
        public var uiLanguage: String?
        /// Win32_OperatingSystem.LastBootUpTime; a restart is confirmed when it moves.
        public var lastBootUpTime: Timestamp?

        public init(caption: String, version: OSVersion, productType: Int, uiLanguage: String? = nil,
                    lastBootUpTime: Timestamp? = nil) {
            self.caption = caption; self.version = version; self.productType = productType
            self.uiLanguage = uiLanguage; self.lastBootUpTime = lastBootUpTime
        }
    }

    public struct Hotfix: Codable, Equatable, Sendable {
        public var id: KB
        public var installedOn: CalendarDay?
        public init(id: KB, installedOn: CalendarDay? = nil) { self.id = id; self.installedOn = installedOn }
        enum CodingKeys: String, CodingKey { case id, installedOn }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(KB.self, forKey: .id)
            installedOn = try c.decodeIfPresent(CalendarDay.self, forKey: .installedOn)
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(installedOn, forKey: .installedOn) // null, not absent: the schema says "date or null"
        }
    }

    public struct PendingReboot: Codable, Equatable, Sendable {
        public var pending: Bool
        /// Which of the registry markers are set, e.g. `CBS RebootPending`.
        public var reasons: [String]
        public init(pending: Bool, reasons: [String] = []) { self.pending = pending; self.reasons = reasons }
    }

    public struct License: Codable, Equatable, Sendable {
        public var activationId: ActivationID
        public var applicationId: ActivationID?
        public var name: String
        public var description: String
        /// Last five characters of the installed key; nil when no key is installed.
        public var partialProductKey: String?
        public var licenseStatus: LicenseStatus

        public init(activationId: ActivationID, applicationId: ActivationID? = nil, name: String = "",
                    description: String = "", partialProductKey: String? = nil,
                    licenseStatus: LicenseStatus = .unlicensed) {
            self.activationId = activationId; self.applicationId = applicationId; self.name = name
            self.description = description; self.partialProductKey = partialProductKey
            self.licenseStatus = licenseStatus
        }
        enum CodingKeys: String, CodingKey {
            case activationId, applicationId, name, description, partialProductKey, licenseStatus
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            activationId = try c.decode(ActivationID.self, forKey: .activationId)
            applicationId = try c.decodeIfPresent(ActivationID.self, forKey: .applicationId)
            name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
            description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
            partialProductKey = try c.decodeIfPresent(String.self, forKey: .partialProductKey)
            licenseStatus = try c.decode(LicenseStatus.self, forKey: .licenseStatus)
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(activationId, forKey: .activationId)
            try c.encode(applicationId, forKey: .applicationId)
            try c.encode(name, forKey: .name)
            try c.encode(description, forKey: .description)
            try c.encode(partialProductKey, forKey: .partialProductKey)
            try c.encode(licenseStatus, forKey: .licenseStatus)
        }
    }

    public struct Arc: Codable, Equatable, Sendable {
        /// `HKLM\SOFTWARE\Microsoft\Azure Connected Machine Agent\ArcESU` Enabled=1.
        public var esuEnabled: Bool
        public init(esuEnabled: Bool) { self.esuEnabled = esuEnabled }
    }

    public struct Evidence: Codable, Equatable, Sendable {
        /// Raw `cscript //nologo slmgr.vbs /dlv` output, kept for the record.
        public var slmgrDlv: String?
        public init(slmgrDlv: String?) { self.slmgrDlv = slmgrDlv }
        enum CodingKeys: String, CodingKey { case slmgrDlv }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(slmgrDlv, forKey: .slmgrDlv)
        }
    }

    // MARK: Reading and writing

    /// Decodes a facts document; errors name the field, like the catalog's.
    public static func load(json data: Data) throws(FactsError) -> Facts {
        let facts: Facts
        do {
            facts = try JSONDecoder().decode(Facts.self, from: data)
        } catch let error as DecodingError {
            let (field, problem) = error.fieldAndProblem
            throw .malformed(field: field, problem: problem)
        } catch {
            throw .malformed(field: "(document)", problem: "\(error)")
        }
        guard facts.schema == currentSchema else { throw .unsupportedSchema(facts.schema) }
        return facts
    }

    public func jsonData(pretty: Bool = true) -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return try! enc.encode(self) // every field is plain data; encoding cannot fail
    }

    /// The license entry for an Activation ID, if the host reported one.
    public func license(_ id: ActivationID) -> License? { licenses.first { $0.activationId == id } }

    public var installedKBs: Set<KB> { Set(hotfixes.map(\.id)) }
}

/// A facts document that cannot be used.
public enum FactsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field is missing, has the wrong type, or holds an invalid value.
    case malformed(field: String, problem: String)
    /// Written by a newer esuctl or agent.
    case unsupportedSchema(Int)

    public var description: String {
        switch self {
        case .malformed(let field, let problem):
            return "facts field '\(field)': \(problem). Collect the host's facts again."
        case .unsupportedSchema(let n):
            return "facts schema \(n) is not supported (this esuctl reads schema \(Facts.currentSchema)); upgrade esuctl or collect again with this version"
        }
    }
}

/// License state as `SoftwareLicensingProduct.LicenseStatus` reports it.
public enum LicenseStatus: String, Codable, Sendable, CaseIterable {
    case unlicensed, licensed, oobGrace, ootGrace, nonGenuineGrace, notification, extendedGrace, unknown

    /// Maps the WMI number (0 Unlicensed … 6 extended grace); anything else is `unknown`.
    public init(wmiCode: Int) {
        let table: [LicenseStatus] = [.unlicensed, .licensed, .oobGrace, .ootGrace, .nonGenuineGrace, .notification, .extendedGrace]
        self = table.indices.contains(wmiCode) ? table[wmiCode] : .unknown
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) { self = LicenseStatus(wmiCode: n); return }
        let s = try c.decode(String.self)
        guard let v = LicenseStatus(rawValue: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "'\(s)' is not a license status (one of \(LicenseStatus.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        self = v
    }
}
