import Foundation

/// Where a host stands.
public enum HostState: String, Codable, Sendable, CaseIterable {
    /// The host needs no ESU (in support) — left alone.
    case notApplicable
    /// Every ESU year the operator holds a key for (and whose coverage has begun) is licensed.
    case compliant
    /// esuctl knows the next step and can take it.
    case actionRequired
    /// esuctl cannot go on without the operator; `remedy` says what to do.
    case blocked
}

/// How an ESU year is licensed on a host.
public enum LicenseChannel: String, Codable, Sendable {
    /// A Multiple Activation Key installed with `slmgr /ipk` and activated with `slmgr /ato`.
    case mak
    /// Azure Arc-enabled ESU: no MAK; the license comes through the Connected Machine agent.
    case arc
}

public struct LicensedYear: Codable, Equatable, Sendable {
    public let year: ESUYear
    public let via: LicenseChannel
    public init(year: ESUYear, via: LicenseChannel) { self.year = year; self.via = via }
}

/// What the host is, as far as ESU is concerned.
public enum HostRole: String, Codable, Sendable {
    /// Windows Server 2012 / 2012 R2: needs ESU.
    case esuEligible
    /// A Windows version still in support (the Hyper-V host itself, usually).
    case inSupport
    /// Something esuctl does not handle (Server 2008 R2, a client edition, …).
    case outOfScope
}

/// The rules core's answer for one host.
public struct Decision: Codable, Equatable, Sendable {
    public let host: String
    public let role: HostRole
    public let state: HostState
    /// The step to take now; nil unless `state` is `actionRequired`.
    public let nextStep: Step?
    /// The whole predicted sequence to compliance, starting with `nextStep` (what a dry run shows).
    public let plannedSteps: [Step]
    /// Where the predicted sequence ends: `compliant`, or `blocked` (e.g. a restart not allowed).
    public let projectedState: HostState
    /// Why the predicted sequence stops, when it ends blocked.
    public let projectedReason: String?
    public let reason: String
    public let remedy: String?
    public let warnings: [String]
    public let licensedYears: [LicensedYear]

    enum CodingKeys: String, CodingKey {
        case host, role, state, nextStep, plannedSteps, projectedState, projectedReason, reason, remedy, warnings, licensedYears
    }

    // Written by hand so that `nextStep` is an explicit null, as the JSON contract says.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(host, forKey: .host)
        try c.encode(role, forKey: .role)
        try c.encode(state, forKey: .state)
        try c.encode(nextStep, forKey: .nextStep)
        try c.encode(plannedSteps, forKey: .plannedSteps)
        try c.encode(projectedState, forKey: .projectedState)
        try c.encodeIfPresent(projectedReason, forKey: .projectedReason)
        try c.encode(reason, forKey: .reason)
        try c.encodeIfPresent(remedy, forKey: .remedy)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(licensedYears, forKey: .licensedYears)
    }
}

/// What the operator brings to a decision besides the host's facts.
public struct DecisionContext: Sendable {
    public var catalog: Catalog
    /// The ESU years the operator holds a key for.
    public var keyYears: Set<ESUYear>
    /// "Now", as a UTC calendar day: passed in so the core never reads a clock.
    public var today: CalendarDay
    public var allowRestart: Bool

    public init(catalog: Catalog, keyYears: Set<ESUYear>, today: CalendarDay, allowRestart: Bool) {
        self.catalog = catalog; self.keyYears = keyYears; self.today = today; self.allowRestart = allowRestart
    }
}

/// The ESU rules: facts in, decision out. Pure — every command asks this same function, so a dry
/// run predicts exactly what a real run does.
public enum Rules {
    /// How many steps a projection may take before it is called a bug rather than a plan; the
    /// longest real sequence (SSU, prep, restart, and key + activation for every year) is far below.
    static let projectionLimit = 64

    public static func decide(_ facts: Facts, _ context: DecisionContext) -> Decision {
        let now = assess(facts, context)
        var steps: [Step] = []
        var projected = now
        var current = facts
        while projected.state == .actionRequired, let step = projected.step {
            guard steps.count < projectionLimit else {
                projected = Assessment(state: .blocked, role: now.role,
                                       reason: "the rules did not converge after \(projectionLimit) steps",
                                       remedy: "report this as an esuctl bug, with the facts file attached")
                break
            }
            steps.append(step)
            current = current.applyingExpectedEffect(of: step, catalog: context.catalog)
            projected = assess(current, context)
        }
        return Decision(host: facts.host, role: now.role, state: now.state, nextStep: now.step,
                        plannedSteps: steps, projectedState: projected.state,
                        projectedReason: projected.state == .blocked && !steps.isEmpty ? projected.reason : nil, reason: now.reason,
                        remedy: now.remedy, warnings: now.warnings, licensedYears: now.licensed)
    }

    struct Assessment {
        var state: HostState
        var role: HostRole
        var step: Step? = nil
        var reason: String
        var remedy: String? = nil
        var warnings: [String] = []
        var licensed: [LicensedYear] = []
    }

    // The order of the checks below is the ESU procedure itself (DESIGN.md section 1).
    static func assess(_ facts: Facts, _ context: DecisionContext) -> Assessment {
        let catalog = context.catalog
        let version = facts.os.version
        let caption = facts.os.caption.isEmpty ? "Windows \(version)" : facts.os.caption

        if let supported = catalog.inSupport(version) {
            return Assessment(state: .notApplicable, role: .inSupport,
                              reason: "\(supported.name) (\(version)) is in support; no ESU needed")
        }
        if version.major >= 10 {
            return Assessment(state: .notApplicable, role: .inSupport,
                              reason: "\(caption) (\(version)) is newer than Windows Server 2012 R2; no ESU needed")
        }
        guard let os = catalog.eligible(version) else {
            return Assessment(state: .blocked, role: .outOfScope,
                              reason: "\(caption) (\(version)) is not covered by this ESU program (\(catalog.program))",
                              remedy: "handle this host outside esuctl, or remove it from the inventory")
        }
        if facts.os.productType == 1 {
            return Assessment(state: .blocked, role: .outOfScope,
                              reason: "\(caption) (\(version)) is a client edition; Windows Server ESU keys do not apply to it",
                              remedy: "handle this host outside esuctl, or remove it from the inventory")
        }

        var warnings: [String] = []
        if context.today > catalog.programEnd {
            warnings.append("the ESU program ended on \(catalog.programEnd): no security updates are released for \(os.name) after it; plan the migration to a supported Windows Server")
        }
        for license in facts.licenses where license.partialProductKey != nil {
            if let program = catalog.confusable(license.activationId) {
                warnings.append("a key is installed on Activation ID \(license.activationId), which belongs to \(program), not to \(os.name) ESU; it does nothing here")
            }
        }
        let licensed = catalog.years.compactMap { y -> LicensedYear? in
            if facts.arc.esuEnabled, y.coverageStart <= context.today { return LicensedYear(year: y.year, via: .arc) }
            return facts.license(y.activationId)?.licenseStatus == .licensed ? LicensedYear(year: y.year, via: .mak) : nil
        }
        func action(_ step: Step, _ reason: String) -> Assessment {
            Assessment(state: .actionRequired, role: .esuEligible, step: step, reason: reason, warnings: warnings, licensed: licensed)
        }
        func blocked(_ reason: String, _ remedy: String) -> Assessment {
            Assessment(state: .blocked, role: .esuEligible, reason: reason, remedy: remedy, warnings: warnings, licensed: licensed)
        }
        func restart(before what: String) -> Assessment {
            let why = facts.pendingReboot.reasons.isEmpty ? "" : " (\(facts.pendingReboot.reasons.joined(separator: ", ")))"
            if context.allowRestart {
                return action(.restart(reason: "a restart is pending\(why) and must happen before \(what)"),
                              "a restart is pending\(why) and must happen before \(what)")
            }
            return blocked("a restart is pending\(why) and must happen before \(what)",
                           "restart the guest in a maintenance window, or run again with --allow-restart")
        }

        // 1–2. Prerequisites: a qualifying SSU, then the preparation package.
        let installed = facts.installedKBs
        let qualifying = os.ssus.filter { $0.released >= catalog.minimumSSUDate }.map(\.kb)
        if !qualifying.contains(where: installed.contains) {
            return action(.installSSU(os.ssuToInstall),
                          "no servicing stack update released on or after \(catalog.minimumSSUDate) is installed (\(os.name) needs \(qualifying.map(\.description).joined(separator: " or ")))")
        }
        if !installed.contains(os.prepPackage.kb) {
            return action(.installPrep(os.prepPackage.kb), "the ESU licensing preparation package \(os.prepPackage.kb) is not installed")
        }

        // Azure Arc delivers the license itself: prerequisites and a restart, never a MAK.
        if facts.arc.esuEnabled {
            if facts.pendingReboot.pending { return restart(before: "Azure Arc ESU takes effect") }
            var a = Assessment(state: .compliant, role: .esuEligible,
                               reason: licensed.isEmpty ? "Azure Arc ESU is enabled; no ESU year has begun yet"
                                   : "ESU \(yearList(licensed.map(\.year))) licensed through Azure Arc",
                               warnings: warnings, licensed: licensed)
            if context.keyYears.isEmpty == false {
                a.warnings.append("Azure Arc ESU is enabled: esuctl does not install MAK keys on this host")
            }
            return a
        }

        // 3–6. Keys, oldest year first, for every year whose coverage has begun and that the
        // operator holds a key for.
        let isLicensed = { (y: Catalog.Year) in licensed.contains { $0.year == y.year } }
        let begun = catalog.yearsBegun(by: context.today)
        // A key already on the host needs only activation, whether or not the operator holds it.
        let keyOnHost = { (y: Catalog.Year) in facts.license(y.activationId)?.partialProductKey != nil }
        let missing = begun.filter { (context.keyYears.contains($0.year) || keyOnHost($0)) && !isLicensed($0) }
        for gap in begun where !isLicensed(gap) && !context.keyYears.contains(gap.year) && !keyOnHost(gap) {
            if let later = missing.first(where: { $0.year > gap.year }) {
                return blocked("ESU \(gap.year) is not licensed and no key is held for it, but ESU \(later.year) is to be installed: each year's license builds on the previous ones",
                               "add the ESU \(gap.year) key to the keys file (year\(gap.year.number) = …) or ESUCTL_ESU_KEY_YEAR\(gap.year.number), then run again")
            }
        }
        guard let year = missing.first else {
            let unlicensed = begun.filter { !isLicensed($0) }
            if begun.isEmpty {
                return Assessment(state: .compliant, role: .esuEligible,
                                  reason: "prerequisites installed; no ESU year has begun by \(context.today)",
                                  warnings: warnings, licensed: licensed)
            }
            if licensed.isEmpty {
                let current = begun.last!.year
                return blocked("no ESU year is licensed and no key is held for any year whose coverage has begun",
                               "add the keys for ESU \(yearList(begun.map(\.year))) to the keys file (year\(current.number) = …), then run again")
            }
            var a = Assessment(state: .compliant, role: .esuEligible,
                               reason: "ESU \(yearList(licensed.map(\.year))) licensed (MAK)",
                               warnings: warnings, licensed: licensed)
            for y in unlicensed {
                a.warnings.append("ESU \(y.year) coverage began \(y.coverageStart) but no key is held for it: updates released in \(y.year) will not install")
            }
            return a
        }
        let license = facts.license(year.activationId)
        if license?.partialProductKey == nil {
            // Installing the key before the restart that follows the prep package fails with 0xC004F050.
            if facts.pendingReboot.pending { return restart(before: "the ESU \(year.year) key can be installed (else 0xC004F050)") }
            return action(.installKey(year.year), "the ESU \(year.year) key is not installed")
        }
        let status = license.map { "license status \($0.licenseStatus.rawValue)" } ?? "no license entry"
        return action(.activate(year.year, year.activationId),
                      "the ESU \(year.year) key is installed but not activated (\(status))")
    }

    static func yearList(_ years: [ESUYear]) -> String {
        let numbers = years.sorted().map { String($0.number) }
        return (numbers.count == 1 ? "Year " : "Years ") + numbers.joined(separator: ", ")
    }
}

extension Facts {
    /// The facts as they should read once `step` has succeeded: the projection behind a dry run.
    public func applyingExpectedEffect(of step: Step, catalog: Catalog) -> Facts {
        var f = self
        switch step {
        case .installSSU(let kb):
            if !f.installedKBs.contains(kb) { f.hotfixes.append(Hotfix(id: kb)) }
        case .installPrep(let kb):
            if !f.installedKBs.contains(kb) { f.hotfixes.append(Hotfix(id: kb)) }
            f.pendingReboot = PendingReboot(pending: true, reasons: f.pendingReboot.reasons + ["\(kb) installed"])
        case .restart:
            f.pendingReboot = PendingReboot(pending: false, reasons: [])
        case .installKey(let year):
            guard let y = catalog.year(year) else { break }
            f.setLicense(y.activationId, applicationId: catalog.windowsApplicationId) {
                // The real partial key is unknown until collected; any non-nil value means "installed".
                $0.partialProductKey = $0.partialProductKey ?? "?????"
                $0.licenseStatus = .notification
            }
        case .activate(_, let id):
            f.setLicense(id, applicationId: catalog.windowsApplicationId) { $0.licenseStatus = .licensed }
        }
        return f
    }

    mutating func setLicense(_ id: ActivationID, applicationId: ActivationID, _ change: (inout License) -> Void) {
        if let i = licenses.firstIndex(where: { $0.activationId == id }) {
            change(&licenses[i])
        } else {
            var license = License(activationId: id, applicationId: applicationId)
            change(&license)
            licenses.append(license)
        }
    }
}
