import Audit
import ESUCore
import Foundation
import Orchestration

/// `esuctl collect`: read every host's facts and keep them under the state directory.
enum CollectCommand: Command {
    static let name = "collect"
    static let summary = "Collect facts from every host and store them"
    static let help = """
    Usage: esuctl collect -i INVENTORY [--limit P] [--parallel N] [options]

    Connects to every selected host, runs the agent's collect verb and stores one facts file per
    host under STATE_DIR/facts/. Prints a line per host and a summary; changes nothing.

    \(FleetOptions.help)

    Example: esuctl collect -i inventory/hosts.ini --limit 'web*' --parallel 64
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        let options = try FleetOptions.parse(&args)
        try args.finish()
        let (outcomes, rows) = try FleetSurvey.run(options, keys: try options.keys(), change: false)
        for (o, r) in zip(outcomes, rows) {
            Terminal.out("\(o.host): \(r.state)\(o.facts == nil ? " — \(r.reason)" : ", facts stored")")
        }
        Terminal.out(FleetReport.summary(rows))
        return ExitStatus(severity: StatusRow.exitCode(rows))
    }
}

/// `esuctl status`: the fleet at a glance.
enum StatusCommand: Command {
    static let name = "status"
    static let summary = "Show every host's ESU state and next step"
    static let help = """
    Usage: esuctl status -i INVENTORY [--json | --csv] [--from-cache] [--expiring DAYS] [options]

    One row per host: role (guest, Hyper-V host, not eligible), OS and language, servicing stack
    update, preparation package, restart pending, ESU years licensed (MAK or Arc), the last day
    its highest licensed ESU year covers and the days left (COVERED UNTIL; JSON and CSV fields
    coverageEnd, daysRemaining, expiryWarning), next step or blocking reason, when last
    collected. Under the table: hosts whose coverage ends within the horizon or has ended, and,
    once the ESU program is over (after its last covered day), a note to migrate.
    --from-cache decides from the stored facts without connecting. Exit status 0 all compliant
    or not applicable, 3 some need action, 4 some blocked or unreachable (of the hosts shown).

      --json               One JSON array of rows.
      --csv                CSV with a header row.
      --from-cache         Use the facts `collect` stored; contact no host.
      --expiry-horizon N   Warn when coverage ends within N days (60d or 60; default 60d).
      --expiring N         Show only hosts whose coverage ends within N days or has ended.

    Example: esuctl status -i hosts.ini --expiring 60d

    \(FleetOptions.help)
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        let json = args.flag("--json"), csv = args.flag("--csv"), cache = args.flag("--from-cache")
        let horizon = try args.option("--expiry-horizon").map { try FleetOptions.days($0, option: "--expiry-horizon") }
        let expiring = try args.option("--expiring").map { try FleetOptions.days($0, option: "--expiring") }
        var options = try FleetOptions.parse(&args)
        try args.finish()
        guard !(json && csv) else { throw UsageError.invalidValue(option: "--json/--csv", problem: "choose one") }
        options.expiryHorizon = horizon ?? expiring ?? Expiry.defaultHorizon
        var rows = cache ? try FleetSurvey.fromCache(options) : try FleetSurvey.run(options, keys: try options.keys(), change: false).1
        if let expiring { rows = rows.filter { $0.expires(within: expiring) } }
        if json { Terminal.out(Terminal.json(rows)) }
        else if csv { FileHandle.standardOutput.write(Data(StatusRow.csv(rows).utf8)) }
        else {
            Terminal.out(FleetReport.table(rows, width: FleetReport.terminalWidth))
            if let notes = FleetReport.expiryNotes(rows, catalog: try options.catalog()) { Terminal.out(notes) }
            Terminal.out(FleetReport.summary(rows) + (expiring.map { " (coverage ending within \($0) days or ended)" } ?? ""))
        }
        return ExitStatus(severity: StatusRow.exitCode(rows))
    }
}

/// Collect-and-decide for a whole fleet, shared by collect, status, sync --dry-run and plan.
enum FleetSurvey {
    static func run(_ options: FleetOptions, keys: [ESUYear: ProductKey], change: Bool) throws -> ([HostOutcome], [StatusRow]) {
        let targets = try options.targets()
        let catalog = try options.catalog()
        let audit = options.paths.auditLog
        try audit.ensureWritable()
        let settings = try options.settings(runId: FleetOptions.newRunId(), catalog: catalog, keys: keys, dryRun: true, change: change)
        let connector = try options.connector(for: targets)
        let progress = Progress(total: targets.count)
        let outcomes = BoundedRunner.run(targets.map(\.name), parallel: options.parallel) { host in
            progress.step(host, "collecting")
            let o = HostRun(host: host, settings: settings, connector: connector, audit: audit).survey()
            progress.finished(host, o.result.rawValue)
            return o
        }
        return (outcomes, FleetReport.rows(outcomes, targets: targets, catalog: catalog, today: options.now, horizon: options.expiryHorizon))
    }

    static func fromCache(_ options: FleetOptions) throws -> [StatusRow] {
        let targets = try options.targets()
        let catalog = try options.catalog()
        let settings = try options.settings(runId: "cache", catalog: catalog, keys: try options.keys(), dryRun: true, change: false)
        let ctx = DecisionContext(catalog: catalog, keyYears: settings.keyYears, today: options.now, allowRestart: options.allowRestart)
        let outcomes = targets.map { t -> HostOutcome in
            guard let data = FileManager.default.contents(atPath: options.paths.facts(host: t.name).path) else {
                return HostOutcome(host: t.name, result: .unreachable, message: "no stored facts; run `esuctl collect` first")
            }
            do {
                let facts = try Facts.load(json: data)
                let decision = Rules.decide(facts, ctx)
                return HostOutcome(host: t.name, result: .compliant, decision: decision, facts: facts)
            } catch {
                return HostOutcome(host: t.name, result: .failed, message: "stored facts unreadable: \(error)")
            }
        }
        return FleetReport.rows(outcomes, targets: targets, catalog: catalog, today: options.now, horizon: options.expiryHorizon)
    }
}

extension ExitStatus {
    init(severity: Int) {
        switch severity {
        case 0: self = .ok
        case 3: self = .actionRequired
        default: self = .blocked
        }
    }
}
