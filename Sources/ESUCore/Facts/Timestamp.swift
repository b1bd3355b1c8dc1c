import Foundation

/// An instant, written and read as ISO 8601 with a zone (`2026-12-04T09:30:00Z`), as every time
/// esuctl prints or stores.
public struct Timestamp: Hashable, Comparable, Sendable, TextualValue, CustomStringConvertible {
    public let date: Date

    public init(_ date: Date) { self.date = date }

    public init(_ text: String) throws(DomainError) {
        let s = text.trimmingCharacters(in: .whitespaces)
        for options in [ISO8601DateFormatter.Options.withInternetDateTime,
                        [.withInternetDateTime, .withFractionalSeconds]] {
            let f = ISO8601DateFormatter()
            f.formatOptions = options
            if let d = f.date(from: s) { date = d; return }
        }
        throw .invalidDate(text)
    }

    /// The UTC calendar day of this instant: what coverage dates are compared against.
    public var day: CalendarDay {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day], from: date)
        return try! CalendarDay(year: c.year!, month: c.month!, day: c.day!) // Calendar gives valid dates
    }

    public var description: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = .withInternetDateTime
        return f.string(from: date)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.date < b.date }

    public init(text: String) throws(DomainError) { try self.init(text) }
}
