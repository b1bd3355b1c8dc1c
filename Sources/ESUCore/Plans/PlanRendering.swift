import Foundation

extension Plan {
    /// The plan for a change ticket, in Markdown.
    public func markdown() -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        var out = ["# ESU change plan", "",
                   "- Created: \(createdAt) by \(cell(createdBy))",
                   "- Decisions for: \(decisionDay); catalog \(cell(catalogVersion))",
                   "- ESU key years: \(keyYears.map(String.init).joined(separator: ", ")); restarts \(allowRestart ? "allowed" : "not allowed")",
                   "- Inventory digest: `\(inventoryDigest)`", "",
                   "| Host | Now | Steps | Ends | Reason |", "| --- | --- | --- | --- | --- |"]
        for h in hosts.sorted(by: { $0.host < $1.host }) {
            let steps = h.steps.isEmpty ? "—" : h.steps.enumerated().map { "\($0.offset + 1). \(cell($0.element.summary))" }.joined(separator: "<br>")
            out.append("| \(cell(h.host)) | \(h.state.rawValue) | \(steps) | \(h.projectedState.rawValue) | \(cell(h.reason)) |")
        }
        for (host, error) in unreachable.sorted(by: { $0.key < $1.key }) {
            out.append("| \(cell(host)) | unreachable | — | — | \(cell(error)) |")
        }
        out += ["", "\(hosts.count + unreachable.count) hosts, \(hosts.filter { !$0.steps.isEmpty }.count) to change, \(hosts.reduce(0) { $0 + $1.steps.count }) steps", ""]
        return out.joined(separator: "\n")
    }

    /// The plan for a change ticket, as one self-contained HTML page (no network references).
    public func html() -> String {
        let e = ComplianceReport.escape
        var out = ["<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">",
                   "<title>ESU change plan</title>", "<style>\(ComplianceReport.css)</style>", "</head>", "<body>",
                   "<h1>ESU change plan</h1>", "<table>",
                   "<tr><th>Created</th><td>\(e(createdAt.description)) by \(e(createdBy))</td></tr>",
                   "<tr><th>Decisions for</th><td>\(e(decisionDay.description)); catalog \(e(catalogVersion))</td></tr>",
                   "<tr><th>ESU key years</th><td>\(e(keyYears.map(String.init).joined(separator: ", "))); restarts \(allowRestart ? "allowed" : "not allowed")</td></tr>",
                   "<tr><th>Inventory digest</th><td><code>\(e(inventoryDigest))</code></td></tr>", "</table>",
                   "<h2>Hosts</h2>", "<table>", "<tr><th>Host</th><th>Now</th><th>Steps</th><th>Ends</th><th>Reason</th></tr>"]
        for h in hosts.sorted(by: { $0.host < $1.host }) {
            let steps = h.steps.isEmpty ? "—" : "<ol>" + h.steps.map { "<li>\(e($0.summary))</li>" }.joined() + "</ol>"
            out.append("<tr><td>\(e(h.host))</td><td class=\"\(h.state.rawValue)\">\(h.state.rawValue)</td><td>\(steps)</td>"
                       + "<td class=\"\(h.projectedState.rawValue)\">\(h.projectedState.rawValue)</td><td>\(e(h.reason))</td></tr>")
        }
        for (host, error) in unreachable.sorted(by: { $0.key < $1.key }) {
            out.append("<tr><td>\(e(host))</td><td class=\"unreachable\">unreachable</td><td>—</td><td>—</td><td>\(e(error))</td></tr>")
        }
        out += ["</table>",
                "<p>\(hosts.count + unreachable.count) hosts, \(hosts.filter { !$0.steps.isEmpty }.count) to change, \(hosts.reduce(0) { $0 + $1.steps.count }) steps</p>",
                "</body>", "</html>", ""]
        return out.joined(separator: "\n")
    }
}
