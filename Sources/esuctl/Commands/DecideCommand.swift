import ESUCore
import Foundation

/// `esuctl decide`: ask the rules core about one facts file.
enum DecideCommand: Command {
    static let name = "decide"
    static let summary = "Decide a host's ESU state and next step from a facts file"
    static let help = """
    Usage: esuctl decide --facts FILE [--now DATE] [--key-years 1,2,3] [--allow-restart] [--catalog FILE]

    Runs the rules core on one host's facts (schema 1, see docs/facts-schema.md) and prints the
    decision as JSON: {"host","state","nextStep","plannedSteps","reason","remedy","warnings",...}.
    Nothing is contacted and nothing is changed.

    Options:
      --facts FILE       The facts file (- for standard input). Required.
      --now DATE         Decide as of this day (YYYY-MM-DD or an ISO 8601 time). Default: now (UTC).
      --key-years LIST   The ESU years you hold keys for, e.g. 1,2,3. Default: none.
      --allow-restart    A pending restart may be done by esuctl (else it blocks the host).
      --catalog FILE     Use this catalog instead of the built-in one.
      -h, --help         Show this help.

    Example: esuctl decide --facts web01.json --now 2026-01-15 --key-years 1,2,3 --allow-restart

    Exit status: 0 compliant or not applicable, 3 action required, 4 blocked, 2 usage error,
    1 unreadable or malformed facts or catalog.
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        guard let factsPath = try args.option("--facts") else { throw UsageError.missing("--facts FILE") }
        let now = try args.option("--now")
        let keyYears = try args.option("--key-years")
        let catalogPath = try args.option("--catalog")
        let allowRestart = args.flag("--allow-restart")
        try args.finish()

        let today = try parseNow(now)
        let years = try parseKeyYears(keyYears)
        let catalog = try Input.catalog(catalogPath)
        let facts = try Facts.load(json: try Input.read(factsPath))
        let decision = Rules.decide(facts, DecisionContext(catalog: catalog, keyYears: years, today: today, allowRestart: allowRestart))
        Terminal.out(Terminal.json(decision))
        switch decision.state {
        case .compliant, .notApplicable: return .ok
        case .actionRequired: return .actionRequired
        case .blocked: return .blocked
        }
    }

    /// `--now`: a day or an ISO 8601 time; absent means the clock, read here at the edge.
    static func parseNow(_ text: String?) throws(UsageError) -> CalendarDay {
        guard let text else { return Timestamp(Date()).day }
        if let day = try? CalendarDay(text), !text.contains("T") { return day }
        do { return try Timestamp(text).day } catch {
            throw .invalidValue(option: "--now", problem: "'\(text)' is not a date; use YYYY-MM-DD or an ISO 8601 time such as 2026-01-15T09:00:00Z")
        }
    }

    /// `--key-years 1,2,3` (also `year1,year2`).
    static func parseKeyYears(_ text: String?) throws(UsageError) -> Set<ESUYear> {
        guard let text else { return [] }
        var years = Set<ESUYear>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            do { years.insert(try ESUYear(parsing: String(part))) } catch {
                throw .invalidValue(option: "--key-years", problem: error.description)
            }
        }
        return years
    }
}
