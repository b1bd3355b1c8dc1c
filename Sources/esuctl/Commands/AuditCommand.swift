import Audit
import ESUCore
import Foundation

/// `esuctl audit show|verify|export`: review the record of what esuctl did.
enum AuditCommand: Command {
    static let name = "audit"
    static let summary = "Review, verify or export the audit log"
    static let help = """
    Usage: esuctl audit show [--host H] [--run ID] [--since DATE] [--event E] [--json] [--audit FILE...]
           esuctl audit verify [--audit FILE...]
           esuctl audit export --format csv|json [--audit FILE...]

    The audit log is append-only JSON Lines: one record per event (collect, step.intent,
    step.result, plan.created, apply.started, ...), each holding the previous record's SHA-256,
    so that an edited, removed, inserted or reordered record is detected.

      show     a readable timeline, filtered by host, run, time (ISO 8601) or event
      verify   recompute the chain; exit 0 when intact, 4 naming the first bad record
      export   every record as CSV or a JSON array (for auditors' tools)

    Options:
      --audit FILE       The audit log (default: STATE_DIR/audit.jsonl). Repeat it to read the logs
                         of several controllers (--shard): each is verified on its own, and show
                         and export merge their records in time order.
      --state-dir DIR    esuctl's state directory (default: $XDG_STATE_HOME/esuctl or ~/.local/state/esuctl).
      -h, --help         Show this help.

    Example: esuctl audit show --host web01 --since 2026-12-01
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        guard let verb = args.popWord() else { throw UsageError.missing("subcommand: show, verify or export") }
        let extra = try args.options("--audit")
        let paths = StatePaths(stateDir: try args.option("--state-dir"), audit: extra.first)
        let logs = extra.isEmpty ? [paths.audit] : extra.map { URL(fileURLWithPath: $0) }
        switch verb {
        case "verify":
            try args.finish()
            var failed = false
            for log in logs {
                try requireLog(log)
                let result = try AuditReader.verify(log)
                if let problem = result.firstProblem {
                    failed = true
                    Terminal.err("audit verify: \(log.path): \(problem)")
                    Terminal.out("FAILED: \(problem) (\(result.records) records intact before it) (\(log.path))")
                } else {
                    Terminal.out("OK: \(result.records) records, chain intact (\(log.path))")
                }
            }
            return failed ? .blocked : .ok
        case "show":
            let host = try args.option("--host")
            let run = try args.option("--run")
            let since = try args.option("--since")
            let event = try args.option("--event")
            let json = args.flag("--json")
            try args.finish()
            let sinceTime = try since.map { text throws(UsageError) -> Date in
                if let t = try? Timestamp(text) { return t.date }
                if let d = try? CalendarDay(text), let t = try? Timestamp("\(d)T00:00:00Z") { return t.date }
                throw .invalidValue(option: "--since", problem: "'\(text)' is not a date; use YYYY-MM-DD or an ISO 8601 time")
            }
            let records = try merged(logs).filter { r in
                (host == nil || r.host == host) && (run == nil || r.runId == run) && (event == nil || r.event == event)
                    && (sinceTime == nil || (r.time.flatMap { try? Timestamp($0).date } ?? .distantPast) >= sinceTime!)
            }
            if json {
                Terminal.out("[" + records.map(\.line).joined(separator: ",\n") + "]")
            } else if records.isEmpty {
                Terminal.out("no audit records match")
            } else {
                Terminal.out(records.map(timelineLine).joined(separator: "\n"))
            }
            return .ok
        case "export":
            guard let format = try args.option("--format") else { throw UsageError.missing("--format csv|json") }
            try args.finish()
            let records = try merged(logs)
            switch format {
            case "json": Terminal.out("[" + records.map(\.line).joined(separator: ",\n") + "]")
            case "csv": Terminal.out(csv(records))
            default: throw UsageError.invalidValue(option: "--format", problem: "'\(format)' is not csv or json")
            }
            return .ok
        default:
            throw UsageError.unknownCommand("audit \(verb)")
        }
    }

    /// Records of one or more logs; several are merged in time order (ISO 8601 UTC sorts as text).
    static func merged(_ logs: [URL]) throws -> [AuditRecord] {
        var all: [AuditRecord] = []
        for log in logs {
            try requireLog(log)
            all += try AuditReader.records(log)
        }
        return logs.count == 1 ? all : all.enumerated().sorted { a, b in
            (a.element.time ?? "", a.offset) < (b.element.time ?? "", b.offset)
        }.map(\.element)
    }

    static func requireLog(_ url: URL) throws(InputError) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .unreadable(path: url.path, reason: "no audit log yet (esuctl writes it when it collects or changes hosts; pass --audit FILE for another one)")
        }
    }

    static func timelineLine(_ r: AuditRecord) -> String {
        var parts = [r.time ?? "?", String(r.runId?.prefix(8) ?? "-"), r.host ?? "-", r.event ?? "?"]
        if let step = r.step { parts.append(step) }
        if r.event == "exec.started", let command = r.command { parts.append("`\(command)`") }
        if let code = r.exitCode { parts.append("exit \(code)") }
        if let w = r.windowsCode { parts.append(w) }
        if let d = r.detail { parts.append("— \(d)") }
        return parts.joined(separator: "  ")
    }

    static let csvColumns = ["seq", "time", "runId", "host", "event", "step", "command", "exitCode", "windowsCode",
                             "stdoutDigest", "stderrDigest", "planDigest", "detail", "prev", "hash"]

    static func csv(_ records: [AuditRecord]) -> String {
        func quote(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        let rows = records.map { r in csvColumns.map { c in quote(r.fields[c].map { "\($0)" } ?? "") }.joined(separator: ",") }
        return ([csvColumns.joined(separator: ",")] + rows).joined(separator: "\r\n")
    }
}
