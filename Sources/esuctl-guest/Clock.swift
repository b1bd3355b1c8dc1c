import Foundation

/// The guest clock. `ESUCTL_SIM_NOW` (ISO 8601, e.g. `2026-01-15T09:00:00Z`) overrides the real time
/// so tests can step over a restart without sleeping.
enum Clock {
    static func now() -> Date {
        if let s = ProcessInfo.processInfo.environment["ESUCTL_SIM_NOW"], let d = ISOTime.parse(s) { return d }
        return Date()
    }
}

enum ISOTime {
    static func format(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }

    static func parse(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)
    }

    /// `YYYY-MM-DD` of a time, in UTC (the simulated guests run on UTC).
    static func day(_ d: Date) -> String { String(format(d).prefix(10)) }

    /// Calendar parts in UTC.
    static func parts(_ d: Date) -> DateComponents {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
    }
}
