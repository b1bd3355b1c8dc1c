import Foundation

/// The compliance report `esuctl report` writes: the fleet's status rows, counted and rendered
/// as self-contained HTML (inline CSS and SVG, no network), Markdown or CSV. Pure: the caller
/// supplies the rows, the audit summary and the times.
public struct ComplianceReport: Sendable {
    /// What the audit log looked like when the report was made.
    public struct AuditSummary: Sendable, Equatable {
        public let path: String
        public let records: Int
        /// The hash of the last record: quoting it pins the log's state.
        public let headHash: String?
        /// nil when the chain verified, else what is wrong.
        public let problem: String?
        public init(path: String, records: Int, headHash: String?, problem: String?) {
            self.path = path; self.records = records; self.headHash = headHash; self.problem = problem
        }
        public var verdict: String { problem.map { "FAILED: \($0)" } ?? "OK: chain intact" }
    }

    public let rows: [StatusRow]
    public let inventory: String
    /// When the report was made (ISO 8601).
    public let generatedAt: String
    /// The day the decisions were made as of.
    public let decidedAsOf: CalendarDay
    /// True when the facts came from esuctl's cache rather than from the hosts just now.
    public let fromCache: Bool
    public let audit: AuditSummary?

    public init(rows: [StatusRow], inventory: String, generatedAt: String, decidedAsOf: CalendarDay,
                fromCache: Bool, audit: AuditSummary?) {
        self.rows = rows; self.inventory = inventory; self.generatedAt = generatedAt
        self.decidedAsOf = decidedAsOf; self.fromCache = fromCache; self.audit = audit
    }

    static let stateOrder = ["compliant", "notApplicable", "actionRequired", "blocked", "failed", "unreachable", "stale", "busy"]

    /// Hosts per state, in a fixed order, states with no host left out.
    public var counts: [(state: String, count: Int)] {
        let grouped = Dictionary(grouping: rows, by: \.state).mapValues(\.count)
        let known = ComplianceReport.stateOrder.compactMap { s in grouped[s].map { (s, $0) } }
        let other = grouped.keys.filter { !ComplianceReport.stateOrder.contains($0) }.sorted().map { ($0, grouped[$0]!) }
        return known + other
    }

    /// Hosts that need the operator: blocked, failed, unreachable, stale or busy.
    public var needingOperator: [StatusRow] { rows.filter { $0.severity == 4 } }

    /// The earliest and latest collection time among the rows.
    public var collectionWindow: (first: String, last: String)? {
        let times = rows.compactMap(\.lastCollected).sorted()
        guard let first = times.first, let last = times.last else { return nil }
        return (first, last)
    }

    var source: String { fromCache ? "facts from esuctl's cache (esuctl collect)" : "facts collected from the hosts for this report" }

    // MARK: CSV

    public func csv() -> String { StatusRow.csv(rows) }

    // MARK: Markdown

    public func markdown() -> String {
        func cell(_ s: String?) -> String {
            guard let s, !s.isEmpty else { return "-" }
            return s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "\r", with: " ")
                .replacingOccurrences(of: "\n", with: " ")
        }
        var out = ["# ESU compliance report", "",
                   "- Inventory: \(cell(inventory))",
                   "- Generated: \(generatedAt)",
                   "- Decided as of: \(decidedAsOf)",
                   "- Source: \(source)"]
        if let w = collectionWindow { out.append("- Collected: \(w.first) to \(w.last)") }
        out += ["", "## Summary", "", "| state | hosts |", "| --- | ---: |"]
        out += counts.map { "| \($0.state) | \($0.count) |" }
        out.append("| **total** | **\(rows.count)** |")
        out += ["", "## Hosts", "",
                "| host | role | state | OS | ESU years | covered until | days left | next step or reason | collected |",
                "| --- | --- | --- | --- | --- | --- | ---: | --- | --- |"]
        for r in rows {
            out.append("| \(cell(r.host)) | \(cell(r.role)) | \(cell(r.state)) | \(cell(r.os)) | \(cell(r.esuYears.joined(separator: ", "))) | \(cell(r.coverageEnd)) | \(cell(r.daysRemaining.map(String.init))) | \(cell(r.next ?? r.reason)) | \(cell(r.lastCollected)) |")
        }
        out += ["", "## Blocked hosts and remedies", ""]
        if needingOperator.isEmpty { out.append("None.") }
        for r in needingOperator {
            out.append("- **\(cell(r.host))** (\(cell(r.state))): \(cell(r.reason))" + (r.remedy.map { " — remedy: \(cell($0))" } ?? ""))
        }
        let warned = rows.filter { $0.expiryWarning != nil }
        if !warned.isEmpty {
            out += ["", "## Expiry", ""]
            out += warned.map { "- **\(cell($0.host))**: \(cell($0.expiryWarning))" }
        }
        out += ["", "## Audit log", ""]
        if let a = audit {
            out += ["- File: \(cell(a.path))", "- Records: \(a.records)", "- Head hash: `\(a.headHash ?? "none")`", "- Verify: \(cell(a.verdict))"]
        } else {
            out.append("No audit log yet.")
        }
        return out.joined(separator: "\n") + "\n"
    }

    // MARK: HTML

    /// Escapes text for HTML element content and double-quoted attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    static let css = """
    body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#1b1b1b}
    h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
    table{border-collapse:collapse;font-size:.9em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
    th{background:#f2f2f2}td.num{text-align:right}
    .compliant,.notApplicable{color:#1a7f37}.actionRequired{color:#9a6700}.blocked,.failed,.unreachable,.stale,.busy{color:#cf222e}
    code{font-family:ui-monospace,monospace;word-break:break-all}
    """

    static let colors = ["compliant": "#2da44e", "notApplicable": "#8c959f", "actionRequired": "#d4a72c", "blocked": "#cf222e",
                         "failed": "#a40e26", "unreachable": "#6e7781", "stale": "#bf8700", "busy": "#0969da"]

    /// A horizontal bar chart of hosts per state, as inline SVG.
    func chart() -> String {
        let c = counts
        let maxCount = max(1, c.map(\.count).max() ?? 1)
        let barHeight = 22, gap = 6, label = 130, width = 520
        let height = max(1, c.count) * (barHeight + gap) + gap
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"Hosts by state\">"
        for (i, entry) in c.enumerated() {
            let y = gap + i * (barHeight + gap)
            let w = max(2, (width - label - 50) * entry.count / maxCount)
            let color = ComplianceReport.colors[entry.state] ?? "#57606a"
            svg += "<text x=\"0\" y=\"\(y + 16)\" font-size=\"13\">\(ComplianceReport.escape(entry.state))</text>"
            svg += "<rect x=\"\(label)\" y=\"\(y)\" width=\"\(w)\" height=\"\(barHeight)\" fill=\"\(color)\"></rect>"
            svg += "<text x=\"\(label + w + 6)\" y=\"\(y + 16)\" font-size=\"13\">\(entry.count)</text>"
        }
        return svg + "</svg>"
    }

    public func html() -> String {
        let e = ComplianceReport.escape
        func td(_ s: String?, _ cls: String? = nil) -> String {
            "<td\(cls.map { " class=\"\(e($0))\"" } ?? "")>\(e(s.flatMap { $0.isEmpty ? nil : $0 } ?? "-"))</td>"
        }
        var out = ["<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">",
                   "<title>ESU compliance report</title>", "<style>\(ComplianceReport.css)</style>", "</head>", "<body>",
                   "<h1>ESU compliance report</h1>", "<table>",
                   "<tr><th>Inventory</th><td>\(e(inventory))</td></tr>",
                   "<tr><th>Generated</th><td>\(e(generatedAt))</td></tr>",
                   "<tr><th>Decided as of</th><td>\(e(decidedAsOf.description))</td></tr>",
                   "<tr><th>Source</th><td>\(e(source))</td></tr>"]
        if let w = collectionWindow { out.append("<tr><th>Collected</th><td>\(e(w.first)) to \(e(w.last))</td></tr>") }
        out += ["</table>", "<h2>Summary</h2>", "<table>", "<tr><th>state</th><th>hosts</th></tr>"]
        out += counts.map { "<tr><td class=\"\(e($0.state))\">\(e($0.state))</td><td class=\"num\">\($0.count)</td></tr>" }
        out += ["<tr><th>total</th><td class=\"num\">\(rows.count)</td></tr>", "</table>", "<p>\(chart())</p>",
                "<h2>Hosts</h2>", "<table>",
                "<tr><th>host</th><th>role</th><th>state</th><th>OS</th><th>ESU years</th><th>covered until</th><th>days left</th><th>next step or reason</th><th>collected</th></tr>"]
        for r in rows {
            out.append("<tr>" + td(r.host) + td(r.role) + td(r.state, r.state) + td(r.os) + td(r.esuYears.joined(separator: ", "))
                       + td(r.coverageEnd) + td(r.daysRemaining.map(String.init), "num") + td(r.next ?? r.reason) + td(r.lastCollected) + "</tr>")
        }
        out += ["</table>", "<h2>Blocked hosts and remedies</h2>"]
        if needingOperator.isEmpty {
            out.append("<p>None.</p>")
        } else {
            out.append("<ul>")
            out += needingOperator.map { r in
                "<li><strong>\(e(r.host))</strong> (\(e(r.state))): \(e(r.reason))" + (r.remedy.map { " — remedy: \(e($0))" } ?? "") + "</li>"
            }
            out.append("</ul>")
        }
        let warned = rows.filter { $0.expiryWarning != nil }
        if !warned.isEmpty {
            out += ["<h2>Expiry</h2>", "<ul>"]
            out += warned.map { "<li><strong>\(e($0.host))</strong>: \(e($0.expiryWarning ?? ""))</li>" }
            out.append("</ul>")
        }
        out.append("<h2>Audit log</h2>")
        if let a = audit {
            out += ["<table>", "<tr><th>File</th><td>\(e(a.path))</td></tr>", "<tr><th>Records</th><td>\(a.records)</td></tr>",
                    "<tr><th>Head hash</th><td><code>\(e(a.headHash ?? "none"))</code></td></tr>",
                    "<tr><th>Verify</th><td class=\"\(a.problem == nil ? "compliant" : "failed")\">\(e(a.verdict))</td></tr>", "</table>"]
        } else {
            out.append("<p>No audit log yet.</p>")
        }
        out += ["</body>", "</html>"]
        return out.joined(separator: "\n") + "\n"
    }
}
