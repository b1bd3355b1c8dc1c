import Agent
import Audit
import ESUCore
import Foundation

/// How a phone activation went on one host.
public struct OfflineActivationOutcome: Sendable {
    public var host: String
    /// `actionRequired` when the installation ID was read (the phone call is next), `compliant`
    /// when the year is Licensed, else why not.
    public var result: HostResult
    /// The installation ID's digits, when it was read.
    public var installationId: String?
    public var message: String
    public var windowsCode: String?
}

extension HostRun {
    /// Phone activation of one ESU year: without a confirmation ID, reads the installation ID
    /// (`slmgr /dti`); with one, deposits it (`slmgr /atp`) and collects again to verify the year
    /// is Licensed. Both are audited as steps (intent before, result after).
    public func offlineActivation(year: ESUYear, confirmation: ConfirmationID?) -> OfflineActivationOutcome {
        func outcome(_ result: HostResult, _ message: String, iid: String? = nil, code: String? = nil) -> OfflineActivationOutcome {
            OfflineActivationOutcome(host: host, result: result, installationId: iid, message: message, windowsCode: code)
        }
        guard let y = settings.catalog.year(year) else {
            return outcome(.blocked, "ESU \(year) is not in the catalog (it lists \(settings.catalog.years.map { String($0.year.number) }.joined(separator: ", ")))")
        }
        guard let lock = HostLock(stateDir: settings.stateDir, host: host) else {
            return outcome(.busy, "another esuctl process is working on \(host); run again when it has finished")
        }
        defer { lock.release(); session?.close() }
        do {
            let facts = try collect()
            guard let decision = latest?.decision, decision.role == .esuEligible else {
                let reason = latest?.decision.reason ?? "the host's role is unknown"
                return outcome(latest?.decision.role == .inSupport ? .notApplicable : .blocked, "\(reason); no ESU activation here")
            }
            guard let license = facts.license(y.activationId) else {
                return outcome(.blocked, "the ESU \(year) product (\(y.activationId)) does not exist on \(host) yet: it appears once the preparation package is installed and the guest restarted; run `esuctl sync` first")
            }
            if license.licenseStatus == .licensed {
                return outcome(.compliant, "ESU \(year) is already Licensed on \(host); nothing to do")
            }
            guard license.partialProductKey != nil else {
                return outcome(.blocked, "no ESU \(year) key is installed on \(host); install it first (`esuctl sync` installs it, and leaves the host blocked if online activation fails)")
            }
            let step = "phone activation of ESU \(year)"
            if let confirmation {
                try runAgent(.depositConfirmation(y.activationId, confirmation), audited: "\(step): deposit confirmation ID")
                let after = try collect()
                let status = after.license(y.activationId)?.licenseStatus
                guard status == .licensed else {
                    return outcome(.failed, "the confirmation ID was accepted but collecting again shows ESU \(year) as \(status?.rawValue ?? "absent"); check the guest with `esuctl exec --limit \(host) -- cscript //nologo %windir%\\system32\\slmgr.vbs /dlv \(y.activationId)`")
                }
                return outcome(.compliant, "ESU \(year) is Licensed on \(host) (confirmation ID \(confirmation) deposited)")
            }
            let (reply, _) = try runAgent(.installationId(y.activationId), audited: "\(step): read installation ID")
            struct Data: Decodable { let installationId: String }
            let iid: String
            do { iid = try reply.decode(Data.self).installationId } catch {
                throw HostFailure(.failed, error.description)
            }
            guard OfflineActivation.installationIDBlocks(iid) != nil else {
                throw HostFailure(.failed, "the guest's installation ID is not a multiple of 7 digits (\(iid.prefix(80))); read it by hand with `slmgr /dti \(y.activationId)`")
            }
            return outcome(.actionRequired, "installation ID read; phone activation is next", iid: iid)
        } catch let failure as HostFailure {
            return outcome(failure.result, failure.message, code: failure.windowsCode)
        } catch {
            return outcome(.failed, "\(error)")
        }
    }
}
