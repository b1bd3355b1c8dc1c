import Foundation

/// When a host's ESU coverage runs out: the last covered day of its highest licensed year, and
/// how many days are left from `today`. Pure: the caller passes the day.
public struct Expiry: Equatable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// More than the horizon left.
        case covered
        /// Coverage ends within the horizon (or today).
        case expiring
        /// The highest licensed year's coverage has ended, and a later ESU year exists to license.
        case lapsed
        /// The day is past the end of the whole ESU program: nothing left to license.
        case programEnded
    }

    /// The highest licensed ESU year.
    public let year: ESUYear
    /// Its last covered day.
    public let coverageEnd: CalendarDay
    /// Days from today to `coverageEnd`: 0 on the last covered day, negative once it has passed.
    public let daysRemaining: Int
    public let status: Status
    /// What the operator should read, or nil while coverage is comfortably ahead.
    public let warning: String?

    /// The default warning horizon, in days.
    public static let defaultHorizon = 60

    /// The expiry of the highest licensed year, or nil when no licensed year is in the catalog.
    public static func assess(licensed: [LicensedYear], catalog: Catalog, today: CalendarDay,
                              horizon: Int = defaultHorizon) -> Expiry? {
        guard let top = licensed.map(\.year).max(), let entry = catalog.year(top) else { return nil }
        let end = entry.coverageEnd
        let days = today.days(until: end)
        let next = catalog.years.first { $0.year > top }
        let status: Status
        let warning: String?
        if today > catalog.programEnd {
            status = .programEnded
            warning = programEndedNote(catalog)
        } else if days < 0 {
            status = .lapsed
            let nextText = next.map { "; updates released since will not install until ESU \($0.year) is licensed" } ?? ""
            warning = "ESU \(top) coverage ended on \(end) (\(-days) day\(-days == 1 ? "" : "s") ago)\(nextText)"
        } else if days <= horizon {
            status = .expiring
            let when = days == 0 ? "today" : "in \(days) day\(days == 1 ? "" : "s")"
            if let next {
                warning = "ESU \(top) coverage ends on \(end), \(when): install and activate the ESU \(next.year) key (coverage from \(next.coverageStart))"
            } else {
                warning = "ESU coverage ends on \(end), \(when), and the ESU program ends with it: plan the migration to a supported Windows Server"
            }
        } else {
            status = .covered
            warning = nil
        }
        return Expiry(year: top, coverageEnd: end, daysRemaining: days, status: status, warning: warning)
    }

    /// The note for every ESU host once the program's last year is over.
    public static func programEndedNote(_ catalog: Catalog) -> String {
        "ESU program ended on \(catalog.programEnd); migrate this host to a supported Windows Server"
    }

    /// Whether coverage ends within `days` from today, or has already ended.
    public func endsWithin(_ days: Int) -> Bool { daysRemaining <= days }
}
