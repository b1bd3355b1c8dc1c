import ESUCore
import Foundation
import Orchestration

/// Turns host outcomes into what the operator reads: a table on a terminal, JSON or CSV otherwise.
enum FleetReport {
    /// `today` is the decision day: each row's ESU expiry is counted from it, warned about within `horizon` days.
    static func rows(_ outcomes: [HostOutcome], targets: [TargetHost], catalog: Catalog, today: CalendarDay,
                     horizon: Int = Expiry.defaultHorizon) -> [StatusRow] {
        let hypervisor = Set(targets.filter(\.isHypervisorHost).map(\.name))
        return outcomes.map { o in
            if let facts = o.facts, let decision = o.decision {
                let row = StatusRow(facts: facts, decision: decision, catalog: catalog, hypervisorHost: hypervisor.contains(o.host),
                                    today: today, horizon: horizon)
                // A step that failed after the facts were read: report the failure, not the facts' state.
                if let message = o.message, o.result.rawValue != decision.state.rawValue {
                    return row.failed(as: o.result.rawValue, message)
                }
                return row
            }
            let row = StatusRow(unreachable: o.host, error: o.message ?? o.result.rawValue)
            return o.result == .unreachable ? row : row.failed(as: o.result.rawValue, o.message ?? o.result.rawValue)
        }
    }

    /// A plain table, widths fitted to the content; long reasons are cut on a terminal only.
    static func table(_ rows: [StatusRow], width: Int?) -> String {
        let header = ["HOST", "ROLE", "OS", "SSU", "PREP", "RESTART", "ESU", "COVERED UNTIL", "STATE", "NEXT / REASON", "COLLECTED"]
        func yn(_ b: Bool?) -> String { b.map { $0 ? "yes" : "no" } ?? "-" }
        let body = rows.map { r -> [String] in
            let os = r.os.map { os -> String in
                let version = os.split(separator: "(").last.map { "(" + $0 } ?? ""
                let name = os.contains("2019") ? "2019" : os.contains("2012 R2") ? "2012 R2" : os.contains("2012") ? "2012" : "Windows"
                return "\(name) \(version)\(r.language.map { " " + $0 } ?? "")"
            } ?? "-"
            return [r.host, r.role, os, r.ssu ?? "-", yn(r.prepInstalled), yn(r.restartPending),
                    r.esuYears.isEmpty ? "-" : r.esuYears.joined(separator: ","),
                    r.coverageEnd.map { "\($0) (\(r.daysRemaining ?? 0)d)" } ?? "-", r.state,
                    r.next ?? (r.remedy.map { "\(r.reason); \($0)" } ?? r.reason), r.lastCollected ?? "-"]
        }
        var all = [header] + body
        if let width {
            // On a narrow terminal the least needed columns go first, then the reason is cut.
            for drop in ["COLLECTED", "COVERED UNTIL", "OS"] where fits(all, width) == false {
                if let c = all[0].firstIndex(of: drop) { all = all.map { row in var r = row; r.remove(at: c); return r } }
            }
        }
        var (widths, reason, room) = layout(all, width ?? 0)
        if width != nil, let reason { widths[reason] = max(20, min(widths[reason], room)) }
        return all.map { row in
            row.enumerated().map { c, cell in
                var text = cell
                if text.count > widths[c] { text = String(text.prefix(widths[c] - 1)) + "…" }
                return c == row.count - 1 ? text : text.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// Whether the table fits `width` with at least 40 columns left for the reason.
    static func fits(_ all: [[String]], _ width: Int) -> Bool {
        let (widths, reason, room) = layout(all, width)
        guard let reason else { return true }
        return room >= min(40, widths[reason])
    }

    /// Each column's natural width, the reason column, and the room `width` leaves for it.
    static func layout(_ all: [[String]], _ width: Int) -> (widths: [Int], reason: Int?, room: Int) {
        let widths = (0..<all[0].count).map { c in all.map { $0[c].count }.max() ?? 0 }
        guard let reason = all[0].firstIndex(of: "NEXT / REASON") else { return (widths, nil, 0) }
        let fixed = widths.enumerated().filter { $0.offset != reason }.map(\.element).reduce(0, +) + 2 * (widths.count - 1)
        return (widths, reason, width - fixed)
    }

    /// The expiry warnings under the table: one line per host, and the program's end said once.
    static func expiryNotes(_ rows: [StatusRow], catalog: Catalog) -> String? {
        let ended = Expiry.programEndedNote(catalog)
        let endedHosts = rows.filter { $0.expiryWarning == ended }.map(\.host)
        var lines = rows.compactMap { r in r.expiryWarning.flatMap { $0 == ended ? nil : "  \(r.host): \($0)" } }
        if !endedHosts.isEmpty {
            lines.insert("ESU program ended on \(catalog.programEnd); migrate these hosts to a supported Windows Server: \(endedHosts.joined(separator: ", "))", at: 0)
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    static func summary(_ rows: [StatusRow]) -> String {
        let counts = Dictionary(grouping: rows, by: \.state).mapValues(\.count)
        let order = ["compliant", "notApplicable", "actionRequired", "blocked", "failed", "unreachable", "stale", "busy"]
        return "\(rows.count) hosts: " + order.compactMap { s in counts[s].map { "\($0) \(s)" } }.joined(separator: ", ")
    }

    static var terminalWidth: Int? {
        guard Terminal.stdoutIsTTY else { return nil }
        var w = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &w) == 0 && w.ws_col > 0 ? Int(w.ws_col) : 120
    }
}

/// Progress on stderr: a live line on a terminal, plain lines otherwise.
final class Progress: @unchecked Sendable {
    let total: Int
    var done = 0
    let lock = NSLock()
    let live: Bool

    init(total: Int) {
        self.total = total
        live = isatty(STDERR_FILENO) == 1
    }

    func step(_ host: String, _ what: String) {
        lock.lock(); defer { lock.unlock() }
        if live {
            FileHandle.standardError.write(Data("\r\u{1B}[K[\(done)/\(total)] \(host): \(what)".utf8))
        } else {
            Terminal.err("\(host): \(what)")
        }
    }

    func finished(_ host: String, _ result: String) {
        lock.lock(); defer { lock.unlock() }
        done += 1
        if live {
            FileHandle.standardError.write(Data("\r\u{1B}[K[\(done)/\(total)] \(host): \(result)".utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            Terminal.err("[\(done)/\(total)] \(host): \(result)")
        }
    }
}
