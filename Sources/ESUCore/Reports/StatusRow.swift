import Foundation

/// One host's line in `esuctl status`: what an operator scans a fleet for.
public struct StatusRow: Codable, Equatable, Sendable {
    /// `guest`, `hyperVHost` / `notEligible` for hosts that need no ESU, `outOfScope`, or `unknown`.
    public let host: String
    public let role: String
    /// The decision's state, or `unreachable` when no facts could be had.
    public private(set) var state: String
    public let os: String?
    public let language: String?
    /// The qualifying SSU installed, if any.
    public let ssu: String?
    public let prepInstalled: Bool?
    public let restartPending: Bool?
    /// e.g. ["1 (MAK)", "2 (MAK)"]
    public let esuYears: [String]
    public private(set) var next: String?
    public private(set) var reason: String
    public private(set) var remedy: String?
    public let warnings: [String]
    public let lastCollected: String?
    /// The last covered day of the highest licensed ESU year (ISO 8601), when one is licensed.
    public let coverageEnd: String?
    /// Days from the decision day to `coverageEnd`: 0 on the last day, negative once it has passed.
    public let daysRemaining: Int?
    /// Coverage ending within the horizon, already ended, or the ESU program over.
    public let expiryWarning: String?

    /// The row for a host whose facts were collected (or read from the cache).
    /// With `today`, the row carries the host's ESU expiry, warned about within `horizon` days.
    public init(facts: Facts, decision: Decision, catalog: Catalog, hypervisorHost: Bool,
                today: CalendarDay? = nil, horizon: Int = Expiry.defaultHorizon) {
        host = facts.host
        switch decision.role {
        case .esuEligible: role = "guest"
        case .inSupport: role = hypervisorHost ? "hyperVHost" : "notEligible"
        case .outOfScope: role = "outOfScope"
        }
        state = decision.state.rawValue
        os = "\(facts.os.caption.isEmpty ? "Windows" : facts.os.caption) (\(facts.os.version))"
        language = facts.os.uiLanguage
        let eligible = catalog.eligible(facts.os.version)
        let installed = facts.installedKBs
        ssu = eligible.flatMap { os in
            os.ssus.filter { $0.released >= catalog.minimumSSUDate && installed.contains($0.kb) }
                .max { $0.released < $1.released }?.kb.description
        }
        prepInstalled = eligible.map { installed.contains($0.prepPackage.kb) }
        restartPending = facts.pendingReboot.pending
        esuYears = decision.licensedYears.map { "\($0.year.number) (\($0.via == .arc ? "Arc" : "MAK"))" }
        next = decision.nextStep?.summary
        reason = decision.reason
        remedy = decision.remedy
        warnings = decision.warnings
        lastCollected = facts.collectedAt.description
        let expiry = today.flatMap { Expiry.assess(licensed: decision.licensedYears, catalog: catalog, today: $0, horizon: horizon) }
        coverageEnd = expiry?.coverageEnd.description
        daysRemaining = expiry?.daysRemaining
        if let expiry {
            expiryWarning = expiry.warning
        } else if let today, decision.role == .esuEligible, today > catalog.programEnd {
            expiryWarning = Expiry.programEndedNote(catalog)
        } else {
            expiryWarning = nil
        }
    }

    /// The row for a host esuctl could not read.
    public init(unreachable host: String, error: String, lastCollected: Timestamp? = nil) {
        self.host = host
        role = "unknown"
        state = "unreachable"
        os = nil; language = nil; ssu = nil; prepInstalled = nil; restartPending = nil
        esuYears = []
        next = nil
        reason = error
        remedy = nil
        warnings = []
        self.lastCollected = lastCollected?.description
        coverageEnd = nil; daysRemaining = nil; expiryWarning = nil
    }

    /// For a host whose run failed after its facts were read: the failure is what the row reports.
    public func failed(as state: String, _ message: String) -> StatusRow {
        var copy = self
        copy.state = state
        copy.reason = message
        copy.remedy = nil
        copy.next = nil
        return copy
    }

    /// Whether this row calls for the operator: 0 fine, 3 needs action, 4 blocked or unreachable.
    /// Whether the host's coverage ends within `days`, or has ended (hosts without a licensed year: no).
    public func expires(within days: Int) -> Bool { daysRemaining.map { $0 <= days } ?? false }

    public var severity: Int {
        switch state {
        case HostState.compliant.rawValue, HostState.notApplicable.rawValue: 0
        case HostState.actionRequired.rawValue: 3
        default: 4
        }
    }
}

extension StatusRow {
    /// The fleet's exit status: the worst row decides.
    public static func exitCode(_ rows: [StatusRow]) -> Int { rows.map(\.severity).max() ?? 0 }

    public static let csvHeader = ["host", "role", "state", "os", "language", "ssu", "prepInstalled", "restartPending",
                                   "esuYears", "next", "reason", "remedy", "lastCollected",
                                   "coverageEnd", "daysRemaining", "expiryWarning"]

    /// RFC 4180 fields: quoted when they hold a comma, quote or line break.
    public var csvFields: [String] {
        func b(_ v: Bool?) -> String { v.map { $0 ? "yes" : "no" } ?? "" }
        return [host, role, state, os ?? "", language ?? "", ssu ?? "", b(prepInstalled), b(restartPending),
                esuYears.joined(separator: " "), next ?? "", reason, remedy ?? "", lastCollected ?? "",
                coverageEnd ?? "", daysRemaining.map(String.init) ?? "", expiryWarning ?? ""]
    }

    public static func csv(_ rows: [StatusRow]) -> String {
        func quote(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        return ([csvHeader] + rows.map(\.csvFields)).map { $0.map(quote).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }
}
