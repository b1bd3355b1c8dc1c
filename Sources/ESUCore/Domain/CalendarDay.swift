import Foundation

/// A calendar date without time or zone (`2026-10-13`), as catalog coverage dates are written.
/// The core never reads a clock: callers turn "now" into a `CalendarDay` (in UTC) at the edge.
public struct CalendarDay: Hashable, Comparable, Sendable, CustomStringConvertible, TextualValue {
    public let year: Int, month: Int, day: Int

    public init(year: Int, month: Int, day: Int) throws(DomainError) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...CalendarDay.daysIn(month: month, year: year)).contains(day)
        else { throw .invalidDate(String(format4(year)) + "-\(month)-\(day)") }
        self.year = year; self.month = month; self.day = day
    }

    /// Parses `YYYY-MM-DD`; a trailing time part (`T...`) is ignored so ISO 8601 timestamps work too.
    public init(_ text: String) throws(DomainError) {
        let s = text.trimmingCharacters(in: .whitespaces)
        let datePart = s.split(separator: "T", maxSplits: 1).first.map(String.init) ?? s
        let f = datePart.split(separator: "-", omittingEmptySubsequences: false)
        guard f.count == 3, f[0].count == 4, f[1].count == 2, f[2].count == 2,
              let y = Int(f[0]), let m = Int(f[1]), let d = Int(f[2])
        else { throw .invalidDate(text) }
        do { try self.init(year: y, month: m, day: d) } catch { throw .invalidDate(text) }
    }

    public var description: String {
        "\(format4(year))-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)"
    }

    public static func < (a: CalendarDay, b: CalendarDay) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// Days from `self` to `other` (positive when `other` is later).
    public func days(until other: CalendarDay) -> Int { other.ordinal - ordinal }

    /// Days since 0001-01-01 in the proleptic Gregorian calendar.
    var ordinal: Int {
        let y = year - 1
        var n = y * 365 + y / 4 - y / 100 + y / 400
        for m in 1..<month { n += CalendarDay.daysIn(month: m, year: year) }
        return n + day - 1
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public init(text: String) throws(DomainError) { try self.init(text) }
}

private func format4(_ n: Int) -> String {
    let s = String(n)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}
