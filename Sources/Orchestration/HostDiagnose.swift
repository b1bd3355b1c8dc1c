import Agent
import ESUCore
import Foundation

/// What `esuctl diagnose` read from one host: its facts and the agent's troubleshooting checks.
public struct HostDiagnoseReading: Sendable {
    public var facts: Facts
    public var data: DiagnoseData
}

extension HostRun {
    /// Collects, then runs the agent's `diagnose` verb (changes nothing on the guest). A host that
    /// cannot be read comes back as the failure's outcome.
    public func diagnose() -> Result<HostDiagnoseReading, HostDiagnoseFailure> {
        defer { session?.close() }
        do {
            let facts = try collect()
            let (reply, _) = try runAgent(.diagnose, audited: nil)
            guard let bytes = reply.data else { throw HostFailure(.failed, "diagnose: the reply has no data") }
            let data: DiagnoseData
            do { data = try DiagnoseData.load(json: bytes) } catch { throw HostFailure(.failed, error.description) }
            return .success(HostDiagnoseReading(facts: facts, data: data))
        } catch let failure as HostFailure {
            return .failure(HostDiagnoseFailure(outcome: failure.outcome(host: host)))
        } catch {
            return .failure(HostDiagnoseFailure(outcome: HostOutcome(host: host, result: .failed, message: "\(error)")))
        }
    }
}

/// Why a host could not be diagnosed (unreachable, or its agent failed).
public struct HostDiagnoseFailure: Error, Sendable {
    public var outcome: HostOutcome
}
