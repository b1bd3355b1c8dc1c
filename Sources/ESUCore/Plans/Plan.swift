import Foundation

/// A saved plan: what `apply` will do, per host, and the facts it was computed from. The plan is
/// the change approval: `apply` does exactly these steps and refuses a host whose facts moved.
public struct Plan: Codable, Equatable, Sendable {
    public static let currentSchema = 1

    public struct Host: Codable, Equatable, Sendable {
        public let host: String
        /// SHA-256 of `inputs.canonicalJSON`.
        public let factsDigest: String
        public let inputs: DecisionInputs
        public let state: HostState
        public let steps: [Step]
        public let projectedState: HostState
        public let reason: String

        public init(host: String, factsDigest: String, inputs: DecisionInputs, state: HostState, steps: [Step], projectedState: HostState, reason: String) {
            self.host = host; self.factsDigest = factsDigest; self.inputs = inputs; self.state = state
            self.steps = steps; self.projectedState = projectedState; self.reason = reason
        }
    }

    public let schema: Int
    public let createdAt: Timestamp
    public let createdBy: String
    /// The day decisions were made for (`--now`).
    public let decisionDay: CalendarDay
    public let catalogVersion: String
    public let inventoryDigest: String
    public let keyYears: [Int]
    public let allowRestart: Bool
    public let hosts: [Host]
    /// Hosts the plan could not read, listed so the approval shows them.
    public let unreachable: [String: String]

    public init(createdAt: Timestamp, createdBy: String, decisionDay: CalendarDay, catalogVersion: String, inventoryDigest: String,
                keyYears: [Int], allowRestart: Bool, hosts: [Host], unreachable: [String: String]) {
        schema = Plan.currentSchema
        self.createdAt = createdAt; self.createdBy = createdBy; self.decisionDay = decisionDay
        self.catalogVersion = catalogVersion; self.inventoryDigest = inventoryDigest; self.keyYears = keyYears
        self.allowRestart = allowRestart; self.hosts = hosts; self.unreachable = unreachable
    }

    public var jsonData: Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try! enc.encode(self)
    }

    public static func load(json data: Data) throws(PlanError) -> Plan {
        let plan: Plan
        do { plan = try JSONDecoder().decode(Plan.self, from: data) } catch let error as DecodingError {
            let (field, problem) = error.fieldAndProblem
            throw .malformed(field: field, problem: problem)
        } catch {
            throw .malformed(field: "(document)", problem: "\(error)")
        }
        guard plan.schema == currentSchema else { throw .malformed(field: "schema", problem: "\(plan.schema) is not supported") }
        return plan
    }

    /// The human rendering `plan show` prints and a change board reads.
    public var summary: String {
        var lines = ["Plan created \(createdAt) by \(createdBy), for \(decisionDay); catalog \(catalogVersion); ESU key years \(keyYears.map(String.init).joined(separator: ", ")); restarts \(allowRestart ? "allowed" : "not allowed")", ""]
        for h in hosts.sorted(by: { $0.host < $1.host }) {
            lines.append("\(h.host): \(h.state.rawValue) — \(h.reason)")
            for (i, s) in h.steps.enumerated() { lines.append("  \(i + 1). \(s.summary)") }
            if !h.steps.isEmpty { lines.append("  → \(h.projectedState.rawValue)") }
        }
        for (host, error) in unreachable.sorted(by: { $0.key < $1.key }) { lines.append("\(host): unreachable — \(error)") }
        let changes = hosts.reduce(0) { $0 + $1.steps.count }
        lines.append("")
        lines.append("\(hosts.count + unreachable.count) hosts, \(hosts.filter { !$0.steps.isEmpty }.count) to change, \(changes) steps")
        return lines.joined(separator: "\n")
    }
}

/// A plan file that cannot be used.
public enum PlanError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a plan esuctl wrote, or edited into an invalid one.
    case malformed(field: String, problem: String)

    public var description: String {
        switch self {
        case .malformed(let field, let problem):
            return "plan field '\(field)': \(problem). Make a new plan with `esuctl plan -o FILE`."
        }
    }
}
