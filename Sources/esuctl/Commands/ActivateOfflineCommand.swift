import Audit
import ESUCore
import Foundation
import Orchestration

/// `esuctl activate-offline`: phone activation of one ESU year on one host, for guests that
/// cannot reach Microsoft's activation servers or whose MAK has run out.
enum ActivateOfflineCommand: Command {
    static let name = "activate-offline"
    static let summary = "Phone activation of an ESU year: show the installation ID, deposit the confirmation ID"
    static let help = """
    Usage: esuctl activate-offline -i INVENTORY --limit HOST --year N [--confirmation-id ID] [options]

    Without --confirmation-id: reads the installation ID of ESU year N on HOST (what
    `slmgr /dti <Activation ID>` shows) and prints it in blocks of seven digits, with the
    phone-activation steps. With --confirmation-id: deposits the confirmation ID the phone
    activation gave (`slmgr /atp ID <Activation ID>`), collects again and checks that the year
    is Licensed. The year's key must be installed first (`esuctl sync` installs it). Both are
    recorded in the audit log (intent before, result after). The confirmation ID goes to the
    guest on the agent's stdin, never on a command line.
    Exit status 0 installation ID printed, year Licensed or already Licensed; 4 blocked, failed
    or unreachable; 2 usage error.

      --limit HOST           The one host to activate (required; must select exactly one).
      --year N               The ESU year to activate (1, 2, 3).
      --confirmation-id ID   The 48-digit confirmation ID (8 blocks of 6; spaces or hyphens allowed).
      --json                 {"host","year","activationId","result","installationId","installationIdBlocks","message"}.

    Examples:
      esuctl activate-offline -i hosts.ini --limit guest07 --year 1
      esuctl activate-offline -i hosts.ini --limit guest07 --year 1 --confirmation-id 123456-...-123456

    \(FleetOptions.help)
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        guard let yearText = try args.option("--year") else { throw UsageError.missing("--year N") }
        let year: ESUYear
        do { year = try ESUYear(parsing: yearText) } catch { throw UsageError.invalidValue(option: "--year", problem: error.description) }
        let confirmation: ConfirmationID?
        do { confirmation = try args.option("--confirmation-id").map { try ConfirmationID($0) } } catch let e as DomainError {
            throw UsageError.invalidValue(option: "--confirmation-id", problem: e.description)
        }
        let json = args.flag("--json")
        let options = try FleetOptions.parse(&args)
        try args.finish()
        guard options.limit != nil else { throw UsageError.missing("--limit HOST (the one host to activate)") }
        let targets = try options.targets()
        guard targets.count == 1, let target = targets.first else {
            throw UsageError.invalidValue(option: "--limit", problem: "selects \(targets.count) hosts; name exactly one")
        }
        let catalog = try options.catalog()
        guard let entry = catalog.year(year) else {
            throw UsageError.invalidValue(option: "--year", problem: "the catalog has no ESU \(year)")
        }
        let audit = options.paths.auditLog
        try audit.ensureWritable()
        let runId = FleetOptions.newRunId()
        let settings = try options.settings(runId: runId, catalog: catalog, keys: [:], dryRun: false, change: false)
        try audit.append(AuditEvent(runId: runId, host: target.name, event: "activate-offline.started",
                                    detail: confirmation == nil ? "read the installation ID of ESU \(year)" : "deposit a confirmation ID for ESU \(year)"))
        let run = HostRun(host: target.name, settings: settings, connector: try options.connector(for: targets), audit: audit)
        let o = run.offlineActivation(year: year, confirmation: confirmation)
        try audit.append(AuditEvent(runId: runId, host: target.name, event: "run.finished", windowsCode: o.windowsCode,
                                    detail: "\(o.result.rawValue): \(o.message)"))
        let blocks = o.installationId.flatMap(OfflineActivation.installationIDBlocks)
        if json {
            var object: [String: Any] = ["host": o.host, "year": year.number, "activationId": entry.activationId.value,
                                         "result": o.result.rawValue, "message": o.message]
            object["installationId"] = o.installationId ?? NSNull()
            object["installationIdBlocks"] = blocks ?? NSNull()
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            Terminal.out(String(decoding: data, as: UTF8.self))
        } else if let blocks {
            Terminal.out(OfflineActivation.phoneInstructions(host: o.host, year: year, activationId: entry.activationId, blocks: blocks))
        } else {
            Terminal.out("\(o.host): \(o.result.rawValue) — \(o.message)")
        }
        switch o.result {
        case .compliant, .notApplicable, .actionRequired: return .ok
        default: return .blocked
        }
    }
}
