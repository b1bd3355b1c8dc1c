import Agent
import Audit
import ESUCore
import Foundation

/// Works on one host: collect, decide, take the next step, collect again to verify, until the host
/// is compliant, not applicable or blocked. Every change is recorded (intent, fsynced, before it
/// runs; result after) — a run killed midway leaves an intent the next run sees, and the next run
/// starts by collecting, so it never repeats a step blindly.
public final class HostRun {
    let host: String
    let settings: RunSettings
    let connector: GuestConnector
    let audit: AuditLog
    let progress: @Sendable (String, String) -> Void
    var session: GuestSession?
    /// The latest facts and decision, so a failure still reports where the host stood.
    var latest: (facts: Facts, decision: Decision)?

    public init(host: String, settings: RunSettings, connector: GuestConnector, audit: AuditLog,
                progress: @escaping @Sendable (String, String) -> Void = { _, _ in }) {
        self.host = host; self.settings = settings; self.connector = connector; self.audit = audit; self.progress = progress
    }

    /// Collect and decide only (`collect`, `status`, `sync --dry-run`, `plan`).
    public func survey() -> HostOutcome {
        defer { session?.close() }
        do {
            let facts = try collect()
            let decision = Rules.decide(facts, settings.context)
            return HostOutcome(host: host, result: HostResult(decision.state), decision: decision, facts: facts)
        } catch let failure as HostFailure {
            return failure.outcome(host: host)
        } catch {
            return HostOutcome(host: host, result: .failed, message: "\(error)")
        }
    }

    /// Brings the host to compliance (`sync`, `apply`).
    public func converge() -> HostOutcome {
        guard let lock = HostLock(stateDir: settings.stateDir, host: host) else {
            return HostOutcome(host: host, result: .busy, message: "another esuctl process is working on \(host); run again when it has finished")
        }
        defer { lock.release(); session?.close() }
        var done: [Step] = []
        var last: Step? = nil
        var approved = settings.approvedSteps?[host] ?? []
        do {
            if let since = settings.restartsInFlight[host], since.addingTimeInterval(settings.restartTimeout) > Date() {
                // An earlier run restarted this guest and died before it came back: wait for it as
                // that run would have, rather than report a guest that is still booting as failed.
                progress(host, "waiting for the restart an earlier run started")
                _ = waitUntilUp(bootTime: nil, deadline: since.addingTimeInterval(settings.restartTimeout)) { _ in true }
            }
            // The longest real sequence is about ten steps; more means a step keeps not taking effect.
            for round in 0..<24 {
                let facts = try collect()
                if round == 0, let planned = settings.planInputs?[host] {
                    let changes = planned.changes(to: DecisionInputs(facts, catalog: settings.catalog))
                    if !changes.isEmpty {
                        try record(AuditEvent(runId: settings.runId, host: host, event: "apply.stale", detail: changes.joined(separator: "; ")))
                        throw HostFailure(.stale, "stale plan: the host changed since the plan was made (\(changes.joined(separator: "; "))); make a new plan")
                    }
                }
                let decision = Rules.decide(facts, settings.context)
                guard decision.state == .actionRequired, let step = decision.nextStep else {
                    var outcome = HostOutcome(host: host, result: HostResult(decision.state), decision: decision, facts: facts, stepsDone: done)
                    if decision.state == .blocked { outcome.message = [decision.reason, decision.remedy].compactMap { $0 }.joined(separator: "; ") }
                    return outcome
                }
                if settings.dryRun {
                    return HostOutcome(host: host, result: .actionRequired, decision: decision, facts: facts, stepsDone: done)
                }
                if let last, sameStep(last, step) {
                    throw HostFailure(.failed, "\(step.summary) reported success but collecting again shows it still to do; check the guest by hand (esuctl exec) before running again")
                }
                if settings.approvedSteps != nil {
                    guard let i = approved.firstIndex(where: { sameStep($0, step) }) else {
                        throw HostFailure(.stale, "the next step, \(step.summary), is not in the approved plan; make a new plan")
                    }
                    approved.remove(at: i)
                }
                let memo = BlockedStep(stateDir: settings.stateDir, host: host)
                let inputs = DecisionInputs(facts, catalog: settings.catalog)
                if !settings.retryBlocked, let previous = memo.load(), previous.step == step.summary, previous.inputs == inputs {
                    var failure = HostFailure(.blocked, "\(step.summary) failed with \(previous.code) at \(previous.time) and the host has not changed since, so it was not tried again: \(previous.message). After the remedy, run with --retry-blocked")
                    failure.windowsCode = previous.code
                    throw failure
                }
                progress(host, step.summary)
                do {
                    try execute(step, facts: facts)
                    memo.clear()
                } catch let failure as HostFailure where failure.result == .blocked && failure.windowsCode != nil {
                    memo.save(.init(step: step.summary, code: failure.windowsCode!, message: failure.message,
                                    time: Timestamp(Date()).description, inputs: inputs))
                    throw failure
                }
                done.append(step)
                last = step
            }
            throw HostFailure(.failed, "the host did not settle after 24 steps; see `esuctl audit show --host \(host)`")
        } catch var failure as HostFailure {
            failure.done = done
            var outcome = failure.outcome(host: host)
            outcome.facts = latest?.facts
            outcome.decision = latest?.decision
            return outcome
        } catch {
            var outcome = HostOutcome(host: host, result: .failed, stepsDone: done)
            outcome.message = "\(error)"
            return outcome
        }
    }

    func sameStep(_ a: Step, _ b: Step) -> Bool {
        if case .restart = a, case .restart = b { return true }
        return a == b
    }

    // MARK: - Collect

    func connected() throws -> GuestSession {
        if let session { return session }
        do {
            let s = try connector.connect(host)
            session = s
            return s
        } catch {
            throw HostFailure(.unreachable, "\(error)")
        }
    }

    func collect() throws -> Facts {
        let verb = AgentVerb.collect(esuActivationIds: settings.catalog.years.map(\.activationId),
                                     windowsApplicationId: settings.catalog.windowsApplicationId)
        let (reply, output) = try runAgent(verb, record: false)
        let facts: Facts
        do {
            facts = try CollectedFacts.facts(from: reply, host: host, collectedAt: Timestamp(Date()))
        } catch {
            throw HostFailure(.failed, error.description)
        }
        let decision = Rules.decide(facts, settings.context)
        latest = (facts, decision)
        try record(AuditEvent(runId: settings.runId, host: host, event: "collect", exitCode: output.exitStatus,
                              stdout: output.stdout, detail: "\(decision.state.rawValue): \(decision.nextStep?.summary ?? decision.reason)"))
        store(facts)
        return facts
    }

    func store(_ facts: Facts) {
        let dir = settings.stateDir.appendingPathComponent("facts")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? facts.jsonData().write(to: dir.appendingPathComponent("\(host).json"), options: .atomic)
    }

    // MARK: - Steps

    func execute(_ step: Step, facts: Facts) throws {
        switch step {
        case .installSSU(let kb), .installPrep(let kb):
            let (entry, file) = try payload(kb)
            // Into the login's home, where SFTP starts and the agent looks for a relative path.
            let remote = entry.file
            let upload = "upload \(entry.file) for \(kb)"
            try record(AuditEvent(runId: settings.runId, host: host, event: "step.intent", step: upload,
                                  command: "sftp put \(entry.file) \(remote) (sha256 \(entry.sha256))"))
            do { try connected().upload(file, to: remote) } catch {
                try record(AuditEvent(runId: settings.runId, host: host, event: "step.result", step: upload, detail: "upload failed: \(error)"))
                throw HostFailure(.failed, "uploading \(entry.file) failed: \(error)")
            }
            try record(AuditEvent(runId: settings.runId, host: host, event: "step.result", step: upload, detail: "ok"))
            try agentStep(step, .installPackage(path: entry.file, sha256: entry.sha256, kb: kb))
        case .installKey(let year):
            guard let key = settings.keys[year] else {
                throw HostFailure(.blocked, "no key for ESU \(year); add it to the keys file")
            }
            try agentStep(step, .installKey(key))
        case .activate(_, let id):
            try agentStep(step, .activate(id))
        case .restart:
            try restart(step, bootTime: facts.os.lastBootUpTime)
        }
    }

    func payload(_ kb: KB) throws -> (PayloadManifest.Entry, URL) {
        guard let dir = settings.payloadDir, let manifest = settings.manifest else {
            throw HostFailure(.blocked, "\(kb) must be installed but no payload directory was given; pass --payloads DIR holding the .msu and its SHA256SUMS")
        }
        guard let entry = manifest.payload(for: kb) else {
            throw HostFailure(.blocked, "no payload for \(kb) in \(dir.path)/SHA256SUMS; download the .msu from the Microsoft Update Catalog, put it there and add its sha256sum line")
        }
        guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(entry.file).path) else {
            throw HostFailure(.blocked, "\(entry.file) is listed in SHA256SUMS but cannot be read from \(dir.path)")
        }
        guard SHA256Hex.of(data) == entry.sha256 else {
            throw HostFailure(.blocked, "\(entry.file) does not match its SHA256SUMS hash; download it again")
        }
        return (entry, dir.appendingPathComponent(entry.file))
    }

    func agentStep(_ step: Step, _ verb: AgentVerb) throws {
        let (_, _) = try runAgent(verb, record: true, step: step)
    }

    /// Runs the agent once. With `record`, the step's intent is on disk before the command is sent.
    @discardableResult
    func runAgent(_ verb: AgentVerb, record: Bool, step: Step? = nil) throws -> (AgentReply, RemoteOutput) {
        try runAgent(verb, audited: record ? step?.summary : nil)
    }

    /// Runs the agent once. With a name, the change's intent is on disk (fsynced) before the
    /// command is sent, and its result is recorded after, under that name.
    @discardableResult
    func runAgent(_ verb: AgentVerb, audited name: String?) throws -> (AgentReply, RemoteOutput) {
        let invocation = AgentInvocation(verb)
        if let name { try intent(name, command: invocation.auditCommand) }
        let session = try connected()
        let output: RemoteOutput
        do {
            output = try session.run(invocation.commandLine, stdin: invocation.stdin, timeout: settings.commandTimeout)
        } catch {
            if let name { try result(name, code: nil, error: "\(error)") }
            throw HostFailure(.failed, "\(verb.name): \(error)")
        }
        let reply: AgentReply
        do {
            reply = try AgentReply.parse(stdout: output.stdout, exitStatus: output.exitStatus, expecting: verb)
        } catch {
            var windowsCode: String? = nil
            var outcome = HostResult.failed
            if case .windows(let code, _, _) = error {
                windowsCode = code
                // Codes whose remedy is the operator's (a new key, more activations) block the host.
                if let known = try? ErrorKnowledge.explain(code), known.retry == .afterRemedy { outcome = .blocked }
            }
            var message = error.description
            if let total = output.stdoutBytes, total > output.stdout.count {
                message += " — the guest wrote \(total) bytes, more than the \(output.stdout.count) esuctl keeps; something on the guest prints before the agent's reply (a profile script, a verbose setting)"
            }
            if let name { try result(name, output: output, code: windowsCode, error: message) }
            var failure = HostFailure(outcome, "\(verb.name): \(message)")
            failure.windowsCode = windowsCode
            throw failure
        }
        if let name { try result(name, output: output, code: nil, error: nil) }
        return (reply, output)
    }

    /// Restarts the guest and waits for it to come back with a new boot time.
    func restart(_ step: Step, bootTime: Timestamp?) throws {
        guard case .restart(let reason) = step else { return }
        try runAgent(.restart(delaySeconds: 2, reason: "esuctl: \(reason)".prefix(200).description), record: true, step: step)
        session?.close()
        session = nil
        // A new boot time proves the restart; without one, the cleared restart flag has to.
        let (back, lastError) = waitUntilUp(bootTime: bootTime, deadline: Date().addingTimeInterval(settings.restartTimeout)) { facts in
            bootTime.map { facts.os.lastBootUpTime != $0 } ?? !facts.pendingReboot.pending
        }
        if back { return }
        try record(AuditEvent(runId: settings.runId, host: host, event: "restart.timeout", step: step.summary, detail: lastError))
        throw HostFailure(.unreachable, "the guest did not come back from its restart within \(Int(settings.restartTimeout)) s (\(lastError)); check it on the Hyper-V host")
    }

    /// Polls with a growing interval until a collect succeeds and `isBack` accepts its facts, or
    /// the deadline passes. Returns whether the guest came back, and the last reason it had not.
    func waitUntilUp(bootTime: Timestamp?, deadline: Date, isBack: (Facts) -> Bool) -> (Bool, String) {
        var wait = 0.2
        var lastError = "no answer"
        while Date() < deadline {
            Thread.sleep(forTimeInterval: min(wait, max(0, deadline.timeIntervalSinceNow)))
            wait = min(wait * 1.5, 2)
            do {
                let facts = try collect()
                if isBack(facts) { return (true, "") }
                lastError = "still running since \(bootTime.map(\.description) ?? "?")"
            } catch let failure as HostFailure {
                lastError = failure.message
            } catch {
                lastError = "\(error)"
            }
            session?.close()
            session = nil
        }
        return (false, lastError)
    }

    // MARK: - Audit

    func record(_ e: AuditEvent) throws {
        do { try audit.append(e) } catch {
            throw HostFailure(.failed, error.description)
        }
    }

    func intent(_ step: String, command: String) throws {
        try record(AuditEvent(runId: settings.runId, host: host, event: "step.intent", step: step, command: command))
    }

    func result(_ step: String, output: RemoteOutput? = nil, code: String?, error: String?) throws {
        try record(AuditEvent(runId: settings.runId, host: host, event: "step.result", step: step,
                              exitCode: output?.exitStatus, windowsCode: code, stdout: output?.stdout, stderr: output?.stderr,
                              detail: error ?? "ok"))
    }
}

/// A host-level failure, carried up to the outcome.
struct HostFailure: Error, CustomStringConvertible {
    var result: HostResult
    var message: String
    var windowsCode: String?
    var done: [Step] = []

    init(_ result: HostResult, _ message: String) { self.result = result; self.message = message }

    var description: String { message }

    func outcome(host: String) -> HostOutcome {
        HostOutcome(host: host, result: result, stepsDone: done, message: message, windowsCode: windowsCode)
    }
}

extension HostResult {
    init(_ state: HostState) {
        switch state {
        case .compliant: self = .compliant
        case .notApplicable: self = .notApplicable
        case .actionRequired: self = .actionRequired
        case .blocked: self = .blocked
        }
    }
}
