import ESUCore
import Foundation

/// `esuctl explain CODE`: the troubleshooting table, one entry at a time.
enum ExplainCommand: Command {
    static let name = "explain"
    static let summary = "Explain an activation or servicing error code and its remedy"
    static let help = """
    Usage: esuctl explain CODE [--json]

    Prints what a Windows activation or servicing code means and what to do about it. CODE may be
    written 0xC004F074, C004F074 or -1073418124 (the signed decimal scripts print), or 3010; or a
    symptom: activation-not-completing, restart-loop.

    Options:
      --json      Print {"code","symbol","meaning","remedy","retry","success"}.
      -h, --help  Show this help.

    Example: esuctl explain 0xC004F074
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        let json = args.flag("--json")
        // A negative decimal code looks like an option; take it as the code before anything else.
        let words = args.operands()
        try args.finish()
        guard let code = words.first else { throw UsageError.missing("CODE") }
        guard words.count == 1 else { throw UsageError.unexpectedArgument(words[1]) }
        let explanation: Explanation
        do { explanation = try ErrorKnowledge.explain(code) } catch {
            throw UsageError.invalidValue(option: "CODE", problem: error.description)
        }
        if json {
            Terminal.out(Terminal.json(explanation))
        } else {
            let title = [explanation.code, explanation.symbol].compactMap { $0 }.joined(separator: "  ")
            let retry = switch explanation.retry {
            case .yes: "yes, it can be transient"
            case .afterRemedy: "only after the remedy"
            case .no: "no"
            }
            Terminal.out("""
            \(Terminal.bold(title))
            Meaning: \(explanation.meaning)
            Remedy:  \(explanation.remedy)
            Retry:   \(retry)
            """)
        }
        return .ok
    }
}
