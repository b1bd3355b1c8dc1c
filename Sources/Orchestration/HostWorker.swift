import Agent
import Audit
import ESUCore
import Foundation

/// How a host ended up after a run.
public enum HostResult: String, Codable, Sendable {
    case compliant, notApplicable, actionRequired, blocked, failed, unreachable, stale, busy

    /// 0 fine, 3 needs action, 4 blocked / failed / unreachable: the fleet's exit status is the worst.
    public var severity: Int {
        switch self {
        case .compliant, .notApplicable: 0
        case .actionRequired: 3
        case .blocked, .failed, .unreachable, .stale, .busy: 4
        }
    }
}

public struct HostOutcome: Sendable {
    public var host: String
    public var result: HostResult
    public var decision: Decision?
    public var facts: Facts?
    public var stepsDone: [Step] = []
    /// What went wrong, for the operator (masked, with the remedy when known).
    public var message: String?
    public var windowsCode: String?

    public init(host: String, result: HostResult, decision: Decision? = nil, facts: Facts? = nil, stepsDone: [Step] = [],
                message: String? = nil, windowsCode: String? = nil) {
        self.host = host; self.result = result; self.decision = decision; self.facts = facts
        self.stepsDone = stepsDone; self.message = message; self.windowsCode = windowsCode
    }
}

/// Everything a run needs besides the hosts.
public struct RunSettings: Sendable {
    public var runId: String
    public var catalog: Catalog
    public var keys: [ESUYear: ProductKey]
    /// The ESU years decisions aim for: those with a key for a change; for a survey without keys,
    /// those asked about (by default all: "is it fully covered?").
    public var keyYears: Set<ESUYear>
    public var payloadDir: URL?
    public var manifest: PayloadManifest?
    public var today: CalendarDay
    public var allowRestart: Bool
    public var dryRun: Bool
    public var commandTimeout: Double
    public var restartTimeout: Double
    public var stateDir: URL
    /// For `apply`: the steps the approved plan lists per host; nil for `sync`.
    public var approvedSteps: [String: [Step]]?
    /// For `apply`: the decision inputs each host's plan was made from.
    public var planInputs: [String: DecisionInputs]?
    /// Try again a step that failed with an error only the operator can fix, although the host
    /// has not changed since (default: report it blocked without contacting Microsoft again).
    public var retryBlocked = false
    /// Hosts an earlier run restarted without seeing them come back (it was killed while waiting),
    /// with the time of that restart: this run first waits for them, up to `restartTimeout` from then.
    public var restartsInFlight: [String: Date] = [:]

    public init(runId: String, catalog: Catalog, keys: [ESUYear: ProductKey], keyYears: Set<ESUYear>, payloadDir: URL?,
                manifest: PayloadManifest?, today: CalendarDay, allowRestart: Bool, dryRun: Bool,
                commandTimeout: Double, restartTimeout: Double, stateDir: URL, approvedSteps: [String: [Step]]? = nil,
                planInputs: [String: DecisionInputs]? = nil) {
        self.runId = runId; self.catalog = catalog; self.keys = keys; self.keyYears = keyYears
        self.payloadDir = payloadDir; self.manifest = manifest; self.today = today
        self.allowRestart = allowRestart; self.dryRun = dryRun; self.commandTimeout = commandTimeout
        self.restartTimeout = restartTimeout; self.stateDir = stateDir; self.approvedSteps = approvedSteps
        self.planInputs = planInputs
    }

    var context: DecisionContext {
        DecisionContext(catalog: catalog, keyYears: keyYears, today: today, allowRestart: allowRestart)
    }
}
