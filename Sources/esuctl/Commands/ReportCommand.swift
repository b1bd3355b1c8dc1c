import Audit
import ESUCore
import Foundation

/// `esuctl report`: a self-contained compliance report for the change board or the auditors.
enum ReportCommand: Command {
    static let name = "report"
    static let summary = "Write a compliance report (HTML, Markdown or CSV)"
    static let help = """
    Usage: esuctl report -i INVENTORY --format html|md|csv -o FILE [--from-cache] [options]

    A self-contained compliance report: hosts per state with a bar chart, one row per host (role,
    state, OS, ESU years, coverage end and days left, next step or reason, when collected), the
    blocked hosts with their remedies, expiry warnings, and the audit log's record count, head
    hash and verify result. HTML has its CSS and SVG chart inline and loads nothing from the
    network; every value is escaped. Exit status as for `status`: 0 all compliant or not
    applicable, 3 some need action, 4 some blocked or unreachable (the report is written anyway).

      --format F             html, md or csv (required).
      -o, --output FILE      Where to write the report; `-` for standard output (required).
      --from-cache           Use the facts `collect` stored; contact no host.
      --expiry-horizon N     Warn when coverage ends within N days (default 60d).

    Example: esuctl report -i hosts.ini --format html -o esu-report.html

    \(FleetOptions.help)
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        guard let format = try args.option("--format") else { throw UsageError.missing("--format html|md|csv") }
        guard ["html", "md", "csv"].contains(format) else {
            throw UsageError.invalidValue(option: "--format", problem: "'\(format)' is not html, md or csv")
        }
        guard let output = try args.option("-o", "--output") else { throw UsageError.missing("-o FILE") }
        let cache = args.flag("--from-cache")
        let horizon = try args.option("--expiry-horizon").map { try FleetOptions.days($0, option: "--expiry-horizon") }
        var options = try FleetOptions.parse(&args)
        try args.finish()
        options.expiryHorizon = horizon ?? Expiry.defaultHorizon
        let rows = cache ? try FleetSurvey.fromCache(options) : try FleetSurvey.run(options, keys: try options.keys(), change: false).1
        let report = ComplianceReport(rows: rows, inventory: options.inventoryPath, generatedAt: Timestamp(Date()).description,
                                      decidedAsOf: options.now, fromCache: cache, audit: auditSummary(options.paths.audit))
        let text: String
        switch format {
        case "html": text = report.html()
        case "md": text = report.markdown()
        default: text = report.csv()
        }
        if output == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
        } else {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw InputError.unreadable(path: output, reason: "cannot write the report: \(error.localizedDescription)")
            }
            Terminal.out("wrote \(output) (\(format)): \(FleetReport.summary(rows))")
        }
        return ExitStatus(severity: StatusRow.exitCode(rows))
    }

    static func auditSummary(_ url: URL) -> ComplianceReport.AuditSummary? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let head = (try? AuditReader.records(url))?.last?.hash
        do {
            let v = try AuditReader.verify(url)
            return .init(path: url.path, records: v.records, headHash: head, problem: v.firstProblem.map { "\($0)" })
        } catch {
            return .init(path: url.path, records: 0, headHash: head, problem: "\(error)")
        }
    }
}
