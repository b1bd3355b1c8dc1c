import Audit
import Digest
import ESUCore
import Foundation
import Orchestration

/// `esuctl sync`: take every selected host as far towards compliance as it can go.
enum SyncCommand: Command {
    static let name = "sync"
    static let summary = "Bring every host to an active ESU license (with --dry-run: show what would happen)"
    static let help = """
    Usage: esuctl sync -i INVENTORY [--dry-run] [--yes] [--allow-restart] [--restart-timeout DUR]
                       [--keys FILE] [--payloads DIR] [options]

    Per host: collect, decide, take the next step (SSU, preparation package, restart, key,
    activation), collect again to verify it, and repeat until the host is compliant, not
    applicable or blocked. Each step is written to the audit log before it runs and after.

      --dry-run              Change nothing; show each host's full predicted sequence of steps.
      --yes                  Do not ask. Without it, sync shows the plan and asks on a terminal,
                             and refuses to change anything when there is no terminal.
      --allow-restart        Restart guests when a restart is needed; else such a host is blocked.
      --restart-timeout DUR  How long to wait for a restarted guest (default 15m).
      --payloads DIR         The .msu files and their SHA256SUMS (sha256sum format).
      --retry-blocked        Try again a step that failed with an operator-fixable error (such as
                             an exhausted MAK, 0xC004C008) although the host has not changed since.

    \(FleetOptions.help)

    Example: esuctl sync -i hosts.ini --keys esu-keys --payloads payloads --allow-restart --dry-run
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        let dryRun = args.flag("--dry-run"), yes = args.flag("--yes"), retry = args.flag("--retry-blocked")
        let options = try FleetOptions.parse(&args)
        try args.finish()
        let keys = try options.keys() // validated before any host is touched
        if dryRun { return try preview(options, keys: keys) }
        if !yes {
            guard isatty(STDIN_FILENO) == 1, Terminal.stdoutIsTTY else {
                throw UsageError.invalidValue(option: "--yes", problem: "sync changes hosts; without a terminal to ask on, pass --yes (or review with --dry-run, or use plan and apply)")
            }
            let status = try preview(options, keys: keys)
            guard status == .actionRequired else { return status }
            FileHandle.standardError.write(Data("Apply these steps? [y/N] ".utf8))
            guard let answer = readLine(), ["y", "yes"].contains(answer.lowercased()) else {
                Terminal.err("nothing changed")
                return .actionRequired
            }
        }
        return try FleetChange.run(options, keys: keys, runEvent: "sync.started", approved: nil, planDigest: nil, retryBlocked: retry)
    }

    /// The dry run: every host's projection from freshly collected facts.
    static func preview(_ options: FleetOptions, keys: [ESUYear: ProductKey]) throws -> ExitStatus {
        let (outcomes, rows) = try FleetSurvey.run(options, keys: keys, change: true)
        var lines: [String] = []
        for o in outcomes {
            guard let d = o.decision else { lines.append("\(o.host): \(o.result.rawValue) — \(o.message ?? "")"); continue }
            lines.append("\(o.host): \(d.state.rawValue) — \(d.reason)")
            for (i, s) in d.plannedSteps.enumerated() { lines.append("  \(i + 1). \(s.summary)") }
            if !d.plannedSteps.isEmpty { lines.append("  → \(d.projectedState.rawValue)\(d.projectedReason.map { ": \($0)" } ?? "")") }
            if let remedy = d.remedy, d.state == .blocked { lines.append("  remedy: \(remedy)") }
        }
        Terminal.out(lines.joined(separator: "\n"))
        Terminal.out(FleetReport.summary(rows))
        return ExitStatus(severity: StatusRow.exitCode(rows))
    }
}

/// `esuctl plan`: the dry run, saved for change approval.
enum PlanCommand: Command {
    static let name = "plan"
    static let summary = "Save what sync would do, for change approval; `plan show FILE` renders it"
    static let help = """
    Usage: esuctl plan -i INVENTORY -o PLAN.json [--allow-restart] [--keys FILE] [options]
           esuctl plan show PLAN.json [--format text|md|html]

    Collects every selected host and writes, per host, the steps esuctl would take and a digest of
    the facts they were computed from, with the catalog version and the inventory's digest. The
    plan is the approval: `esuctl apply PLAN.json` does exactly those steps and refuses any host
    whose facts changed since. `plan show` prints the plan for a human; --format md or html renders
    it for a change ticket (self-contained HTML, no network references).

      -o, --output FILE   Where to write the plan. Required.

    \(FleetOptions.help)

    Example: esuctl plan -i hosts.ini --keys esu-keys --allow-restart -o change-4711.json
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        if let word = args.popWord() {
            guard word == "show" else { throw UsageError.unknownCommand("plan \(word)") }
            let format = try args.option("--format") ?? "text"
            let files = args.operands()
            try args.finish()
            guard files.count == 1 else { throw UsageError.missing("PLAN.json") }
            let plan = try Plan.load(json: try Input.read(files[0]))
            switch format {
            case "text": Terminal.out(plan.summary)
            case "md": Terminal.out(plan.markdown())
            case "html": Terminal.out(plan.html())
            default: throw UsageError.invalidValue(option: "--format", problem: "'\(format)' is not text, md or html")
            }
            return .ok
        }
        guard let output = try args.option("-o", "--output") else { throw UsageError.missing("-o PLAN.json") }
        let options = try FleetOptions.parse(&args)
        try args.finish()
        let keys = try options.keys()
        let catalog = try options.catalog()
        let (outcomes, rows) = try FleetSurvey.run(options, keys: keys, change: true)
        var hosts: [Plan.Host] = []
        var unreachable: [String: String] = [:]
        for o in outcomes {
            guard let facts = o.facts, let d = o.decision else { unreachable[o.host] = o.message ?? o.result.rawValue; continue }
            let inputs = DecisionInputs(facts, catalog: catalog)
            hosts.append(Plan.Host(host: o.host, factsDigest: SHA256.hex(inputs.canonicalJSON), inputs: inputs, state: d.state,
                                   steps: d.plannedSteps, projectedState: d.projectedState, reason: d.reason))
        }
        let plan = Plan(createdAt: Timestamp(Date()), createdBy: "\(NSUserName())@\(ProcessInfo.processInfo.hostName)",
                        decisionDay: options.now, catalogVersion: catalog.catalogVersion,
                        inventoryDigest: SHA256.hex(try Input.read(options.inventoryPath)),
                        keyYears: keys.keys.map(\.number).sorted(),
                        allowRestart: options.allowRestart, hosts: hosts, unreachable: unreachable)
        let data = plan.jsonData
        do { try data.write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
            throw InputError.unreadable(path: output, reason: "cannot write the plan: \(error.localizedDescription)")
        }
        try options.paths.auditLog.append(AuditEvent(runId: FleetOptions.newRunId(), event: "plan.created",
                                                                 planDigest: SHA256.hex(data), detail: output))
        Terminal.out(plan.summary)
        Terminal.out("plan written to \(output) (sha256 \(SHA256.hex(data)))")
        return ExitStatus(severity: StatusRow.exitCode(rows))
    }
}

/// `esuctl apply PLAN.json`: exactly the approved change.
enum ApplyCommand: Command {
    static let name = "apply"
    static let summary = "Carry out a saved plan exactly, refusing hosts that changed since"
    static let help = """
    Usage: esuctl apply PLAN.json -i INVENTORY [--keys FILE] [--payloads DIR] [options]

    Re-collects every host in the plan and refuses a host whose decision-relevant facts changed
    since the plan was made (stale plan: it says what changed). Does only the steps the plan lists,
    with the plan's date, key years and restart permission. The saved plan is the approval: apply
    asks nothing (--yes is accepted and changes nothing). The plan's digest goes into the audit log.

    \(FleetOptions.help)

    Example: esuctl apply change-4711.json -i hosts.ini --keys esu-keys --payloads payloads
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        _ = args.flag("--yes")
        var options = try FleetOptions.parse(&args)
        let files = args.operands()
        try args.finish()
        guard files.count == 1 else { throw UsageError.missing("PLAN.json") }
        let data = try Input.read(files[0])
        let plan = try Plan.load(json: data)
        let catalog = try options.catalog()
        guard catalog.catalogVersion == plan.catalogVersion else {
            throw PlanError.malformed(field: "catalogVersion", problem: "the plan was made with catalog \(plan.catalogVersion), esuctl now has \(catalog.catalogVersion)")
        }
        options.now = plan.decisionDay
        options.allowRestart = plan.allowRestart
        options.limit = (plan.hosts.map(\.host)).joined(separator: ",")
        guard !plan.hosts.isEmpty else { Terminal.out("the plan lists no reachable host; nothing to do"); return .ok }
        let keys = try options.keys()
        guard keys.keys.map(\.number).sorted() == plan.keyYears else {
            throw PlanError.malformed(field: "keyYears", problem: "the plan was made with keys for years \(plan.keyYears.map(String.init).joined(separator: ", ")), esuctl now has keys for \(keys.keys.map(\.number).sorted().map(String.init).joined(separator: ", ")); give the same keys (--keys) or make a new plan")
        }
        return try FleetChange.run(options, keys: keys, runEvent: "apply.started",
                                   approved: Dictionary(plan.hosts.map { ($0.host, $0.steps) }, uniquingKeysWith: { a, _ in a }),
                                   planInputs: Dictionary(plan.hosts.map { ($0.host, $0.inputs) }, uniquingKeysWith: { a, _ in a }),
                                   planDigest: SHA256.hex(data))
    }
}

/// The changing half of sync and apply.
enum FleetChange {
    static func run(_ options: FleetOptions, keys: [ESUYear: ProductKey], runEvent: String, approved: [String: [Step]]?,
                    planInputs: [String: DecisionInputs]? = nil, planDigest: String?, retryBlocked: Bool = false) throws -> ExitStatus {
        let targets = try options.targets()
        let catalog = try options.catalog()
        let audit = options.paths.auditLog
        try audit.ensureWritable()
        let runId = FleetOptions.newRunId()
        var base = try options.settings(runId: runId, catalog: catalog, keys: keys, dryRun: false, change: true, approved: approved)
        base.planInputs = planInputs
        base.retryBlocked = retryBlocked
        try audit.append(AuditEvent(runId: runId, event: runEvent, planDigest: planDigest,
                                    detail: "\(targets.count) hosts; keys for years \(keys.keys.map(\.number).sorted()); restarts \(options.allowRestart ? "allowed" : "not allowed")"))
        // Hosts another live esuctl process holds are its business: their open intents are not unfinished.
        let free = Set(targets.map(\.name)).filter { !HostLock.isHeld(stateDir: options.paths.dir, host: $0) }
        base.restartsInFlight = try reportUnfinished(audit: audit, runId: runId, hosts: free)
        let settings = base
        let connector = try options.connector(for: targets)
        let progress = Progress(total: targets.count)
        let outcomes = BoundedRunner.run(targets.map(\.name), parallel: options.parallel) { host in
            let o = HostRun(host: host, settings: settings, connector: connector, audit: audit,
                            progress: { h, what in progress.step(h, what) }).converge()
            progress.finished(host, o.result.rawValue + (o.stepsDone.isEmpty ? "" : " after \(o.stepsDone.count) steps"))
            return o
        }
        let merged = FleetReport.rows(outcomes, targets: targets, catalog: catalog, today: options.now)
        try audit.append(AuditEvent(runId: runId, event: "run.finished", detail: FleetReport.summary(merged)))
        Terminal.out(FleetReport.table(merged, width: FleetReport.terminalWidth))
        Terminal.out(FleetReport.summary(merged))
        return ExitStatus(severity: outcomes.map(\.result.severity).max() ?? 0)
    }

    /// A run that died leaves a step's intent without its result. Say so; this run collects first,
    /// so the step is redone only if the host shows it still to do. Returns the hosts an earlier run restarted and never saw again (no collect since), with
    /// the time of the restart, so this run waits for them instead of finding them down.
    static func reportUnfinished(audit: AuditLog, runId: String, hosts: Set<String>) throws -> [String: Date] {
        guard let records = try? AuditReader.records(audit.url) else { return [:] }
        var open: [String: AuditRecord] = [:]
        var restarted: [String: AuditRecord] = [:]
        for r in records {
            guard let host = r.host else { continue }
            switch r.event {
            case "step.intent":
                open[host] = r
                if r.step?.hasPrefix("restart") == true { restarted[host] = r }
            case "step.result", "intent.unresolved": open[host] = nil
            case "collect", "restart.timeout": restarted[host] = nil
            default: break
            }
        }
        var inFlight: [String: Date] = [:]
        for (host, r) in restarted where hosts.contains(host) {
            if let time = r.time.flatMap({ try? Timestamp($0).date }) { inFlight[host] = time }
        }
        for (host, r) in open.sorted(by: { $0.key < $1.key }) where hosts.contains(host) {
            Terminal.err("\(host): an earlier run (\(r.runId ?? "?")) stopped during '\(r.step ?? "?")'; collecting first to see whether it took effect")
            try audit.append(AuditEvent(runId: runId, host: host, event: "intent.unresolved", step: r.step,
                                        detail: "earlier run \(r.runId ?? "?") recorded the intent (seq \(r.seq)) but no result; re-collecting before any step"))
        }
        return inFlight
    }
}
