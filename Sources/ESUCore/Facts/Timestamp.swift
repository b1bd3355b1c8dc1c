import Foundation

/// An instant, written and read as ISO 8601 with a zone (`2026-12-04T09:30:00Z`), as every time
/// esuctl prints or stores.
public struct Timestamp: Hashable, Comparable, Sendable, TextualValue, CustomStringConvertible {
    public let date: Date

    public init(_ date: Date) { self.date = date }

    public init(_ text: String) throws(DomainError) {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let d = Timestamp.formatters.withLock({ f in f.whole.date(from: s) ?? f.fractional.date(from: s) }) { date = d; return }
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
        Timestamp.formatters.withLock { $0.whole.string(from: date) }
    }

    /// Built once: on Linux each ISO8601DateFormatter is an ICU formatter, costly to create (a
    /// fleet run parses and prints thousands of timestamps). Used under a lock.
    final class Formatters: @unchecked Sendable {
        let whole = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        let lock = NSLock()
        init() {
            whole.formatOptions = .withInternetDateTime
            fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        }
        func withLock<T>(_ body: (Formatters) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(self) }
    }
    static let formatters = Formatters()

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.date < b.date }

    public init(text: String) throws(DomainError) { try self.init(text) }
}
