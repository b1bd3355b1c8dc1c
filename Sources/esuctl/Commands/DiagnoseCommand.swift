import Audit
import ESUCore
import Foundation
import Orchestration

/// `esuctl diagnose`: the checks behind the troubleshooting advice, per host. Changes nothing.
enum DiagnoseCommand: Command {
    static let name = "diagnose"
    static let summary = "Check each host for the usual causes of failed activation and servicing"
    static let help = """
    Usage: esuctl diagnose -i INVENTORY [--limit P] [--json] [options]

    Per host: collects, runs the agent's read-only diagnose verb, and prints a one-line verdict
    with the findings under it:
      - the last activation or servicing error esuctl recorded for the host in the audit log,
        with its meaning and remedy;
      - for KMS codes (0xC004F074, 0x8007232B): whether the _vlmcs._tcp SRV record resolves on
        the guest and TCP 1688 to the KMS host answers from it;
      - the Windows Update service (wuauserv) state;
      - a qualifying servicing stack update installed (from the facts and the catalog);
      - clock skew between guest and controller (a problem over 5 minutes);
      - free space on the system drive (a problem under 2 GB);
      - a restart pending (a warning).
    Exit status 0 no problems, 3 warnings only, 4 problems or a host unreachable.

      --json    One JSON array: [{"host","severity","verdict","findings":[{"check","severity",
                "summary","remedy"}],"message"}] (severity ok, warn, problem or unreachable).

    \(FleetOptions.help)

    Example: esuctl diagnose -i hosts.ini --limit guest07
    """

    struct Row: Encodable {
        var host: String
        var severity: String
        var verdict: String
        var findings: [Finding]
        var message: String?
    }

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        let json = args.flag("--json")
        let options = try FleetOptions.parse(&args)
        try args.finish()
        let targets = try options.targets()
        let catalog = try options.catalog()
        let audit = options.paths.auditLog
        try audit.ensureWritable()
        let lastErrors = lastErrorCodes(audit.url)
        let settings = try options.settings(runId: FleetOptions.newRunId(), catalog: catalog, keys: [:], dryRun: true, change: false)
        let connector = try options.connector(for: targets)
        let rows = BoundedRunner.run(targets.map(\.name), parallel: options.parallel) { host -> Row in
            switch HostRun(host: host, settings: settings, connector: connector, audit: audit).diagnose() {
            case .success(let reading):
                let d = Diagnosis.evaluate(facts: reading.facts, data: reading.data, lastErrorCode: lastErrors[host],
                                           catalog: catalog, controllerTime: reading.facts.collectedAt.date)
                return Row(host: host, severity: d.severity.rawValue, verdict: d.verdict, findings: d.findings, message: nil)
            case .failure(let failure):
                let message = failure.outcome.message ?? failure.outcome.result.rawValue
                return Row(host: host, severity: "unreachable", verdict: "\(failure.outcome.result.rawValue): \(message)",
                           findings: [], message: message)
            }
        }
        if json {
            Terminal.out(Terminal.json(rows))
        } else {
            for r in rows {
                Terminal.out("\(r.host): \(r.verdict)")
                for f in r.findings {
                    Terminal.out("  [\(f.severity.rawValue)] \(f.check): \(f.summary)")
                    if let remedy = f.remedy, f.severity != .ok { Terminal.out("      remedy: \(remedy)") }
                }
            }
        }
        if rows.contains(where: { $0.severity == "problem" || $0.severity == "unreachable" }) { return .blocked }
        if rows.contains(where: { $0.severity == "warn" }) { return .actionRequired }
        return .ok
    }

    /// Per host, the Windows code of its latest `step.result` in the audit log, when that result
    /// failed: an error a later step got past is history, not a finding.
    static func lastErrorCodes(_ url: URL) -> [String: String] {
        guard let records = try? AuditReader.records(url) else { return [:] }
        var last: [String: String] = [:]
        for r in records where r.event == "step.result" {
            if let host = r.host { last[host] = r.windowsCode }
        }
        return last
    }
}
