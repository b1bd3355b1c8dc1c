import ESUCore
import Foundation
import Testing

/// Runs scripts/check-html (html5lib, strict) on a file: the HTML must be valid and offline.
func checkHTML(_ file: URL) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = ESUCtl.root.appendingPathComponent("scripts/check-html")
    p.arguments = [file.path]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite(.serialized) struct ReportTests {
    @Test func reportsOfTheLabFleet() throws {
        let lab = try LabFleet()
        _ = try lab.esuctl(["collect", "--now", "2026-09-01"])
        let html = lab.base.appendingPathComponent("report.html")
        let r = try lab.esuctl(["report", "--from-cache", "--now", "2026-09-01", "--format", "html", "-o", html.path])
        #expect(r.status == 4, "\(r.stderr)") // r2-unreachable
        #expect(r.stdout.contains("wrote \(html.path) (html): 11 hosts:"))
        let page = try String(contentsOf: html, encoding: .utf8)
        let check = try checkHTML(html)
        #expect(check.status == 0, "\(check.output)")
        for host in ["hv-host", "r2-fresh", "r2-licensed", "r2-arc", "s2012", "r2-unreachable"] {
            #expect(page.contains("<td>\(host)</td>"), "\(host)")
        }
        #expect(page.contains("<svg") && page.contains("aria-label=\"Hosts by state\""))
        #expect(page.contains("<td class=\"compliant\">compliant</td><td class=\"num\">2</td>"))
        #expect(page.contains("<strong>r2-unreachable</strong> (unreachable)"))
        #expect(page.contains("<strong>r2-licensed</strong>: ESU coverage ends on 2026-10-13, in 42 days"))
        // The audit log as `audit verify` sees it, head hash included.
        let state = lab.base.appendingPathComponent("state")
        let verify = try ESUCtl.run(["audit", "verify", "--state-dir", state.path])
        let records = try #require(verify.stdout.split(separator: " ").dropFirst().first)
        #expect(page.contains("<tr><th>Records</th><td>\(records)</td></tr>"))
        let lastLine = try #require(try String(contentsOf: state.appendingPathComponent("audit.jsonl"), encoding: .utf8)
            .split(separator: "\n").last)
        let head = try #require((try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])?["hash"] as? String)
        #expect(page.contains("<code>\(head)</code>"))
        #expect(page.contains("OK: chain intact"))

        // The checker is real: the same page cut short fails it.
        let broken = lab.base.appendingPathComponent("broken.html")
        try Data(page.utf8.prefix(page.utf8.count / 2)).write(to: broken)
        #expect(try checkHTML(broken).status != 0)

        let md = try lab.esuctl(["report", "--from-cache", "--now", "2026-09-01", "--format", "md", "-o", "-"])
        #expect(md.stdout.hasPrefix("# ESU compliance report\n"))
        #expect(md.stdout.contains("| **total** | **11** |"))
        #expect(md.stdout.contains("| r2-licensed | guest | compliant |"))
        #expect(md.stdout.contains("- Head hash: `\(head)`"))
        let csv = try lab.esuctl(["report", "--from-cache", "--now", "2026-09-01", "--format", "csv", "-o", "-"])
        let lines = csv.stdout.components(separatedBy: "\r\n")
        #expect(lines[0] == StatusRow.csvHeader.joined(separator: ","))
        #expect(lines.filter { !$0.isEmpty }.count == 12)

        let bad = try lab.esuctl(["report", "--format", "pdf", "-o", "x"])
        #expect(bad.status == 2 && bad.stderr.contains("'pdf' is not html, md or csv"))
        #expect(try lab.esuctl(["report", "--format", "html"]).stderr.contains("missing -o FILE"))
    }

    @Test func everyValueIsEscaped() throws {
        let nasty = "<script>alert('x')</script> & \"q\""
        let rows = [StatusRow(unreachable: nasty, error: nasty)]
        let report = ComplianceReport(rows: rows, inventory: "</table><b>inv", generatedAt: "2026-09-01T00:00:00Z",
                                      decidedAsOf: try CalendarDay("2026-09-01"), fromCache: true,
                                      audit: .init(path: "a<b", records: 3, headHash: "\"><i>", problem: "line 2 <altered>"))
        let page = report.html()
        #expect(!page.contains("<script>") && !page.contains("<b>inv") && !page.contains("<i>") && !page.contains("<altered>"))
        #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"))
        #expect(page.contains("FAILED: line 2 &lt;altered&gt;"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("esuctl-escape-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(page.utf8).write(to: file)
        let check = try checkHTML(file)
        #expect(check.status == 0, "\(check.output)")
        // Markdown: a value cannot break out of its table cell.
        let md = report.markdown()
        let hostLine = try #require(md.split(separator: "\n").first { $0.hasPrefix("| &lt;script") })
        #expect(hostLine.components(separatedBy: " | ").count == 9)
    }
}
