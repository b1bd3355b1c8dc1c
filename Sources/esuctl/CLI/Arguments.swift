/// A hand-written argument reader: the toolchain has no argument parser and we cannot fetch one.
/// Commands pull the options they know; whatever is left over is a usage error, so a typo never
/// passes silently.
struct Arguments {
    private var tokens: [String]
    /// Everything after a bare `--`, untouched (for commands that pass a remote command through).
    private(set) var passthrough: [String] = []

    init(_ tokens: [String]) {
        if let dash = tokens.firstIndex(of: "--") {
            self.tokens = Array(tokens[..<dash])
            passthrough = Array(tokens[(dash + 1)...])
        } else {
            self.tokens = tokens
        }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Everything left, with `--` and what followed it restored, for a command that parses its own.
    var remaining: [String] { passthrough.isEmpty ? tokens : tokens + ["--"] + passthrough }

    /// True when `--help` or `-h` is present (it wins over everything else).
    var wantsHelp: Bool { tokens.contains("--help") || tokens.contains("-h") }

    /// Removes and returns the first token if it is not an option (a subcommand or operand).
    mutating func popWord() -> String? {
        guard let first = tokens.first, !Arguments.isOption(first) else { return nil }
        tokens.removeFirst()
        return first
    }

    /// Removes a boolean flag; true when it was present.
    mutating func flag(_ names: String...) -> Bool {
        var found = false
        tokens.removeAll { token in
            if names.contains(token) { found = true; return true }
            return false
        }
        return found
    }

    /// Removes `--name VALUE` or `--name=VALUE`; the last occurrence wins.
    mutating func option(_ names: String...) throws(UsageError) -> String? {
        var value: String? = nil
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            if names.contains(token) {
                guard i + 1 < tokens.count else { throw .missingValue(token) }
                value = tokens[i + 1]
                tokens.removeSubrange(i...(i + 1))
            } else if let name = names.first(where: { token.hasPrefix($0 + "=") }) {
                value = String(token.dropFirst(name.count + 1))
                tokens.remove(at: i)
            } else {
                i += 1
            }
        }
        return value
    }

    /// Removes every `--name VALUE` / `--name=VALUE`, in order (for options that may repeat).
    mutating func options(_ names: String...) throws(UsageError) -> [String] {
        var values: [String] = []
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            if names.contains(token) {
                guard i + 1 < tokens.count else { throw .missingValue(token) }
                values.append(tokens[i + 1])
                tokens.removeSubrange(i...(i + 1))
            } else if let name = names.first(where: { token.hasPrefix($0 + "=") }) {
                values.append(String(token.dropFirst(name.count + 1)))
                tokens.remove(at: i)
            } else {
                i += 1
            }
        }
        return values
    }

    /// Removes all operands (non-option tokens) in order.
    mutating func operands() -> [String] {
        let words = tokens.filter { !Arguments.isOption($0) }
        tokens.removeAll { !Arguments.isOption($0) }
        return words
    }

    /// Fails on anything no one asked for.
    func finish() throws(UsageError) {
        if let extra = tokens.first {
            throw Arguments.isOption(extra) ? .unknownOption(extra) : .unexpectedArgument(extra)
        }
    }

    /// `-` (stdin) and negative numbers (signed error codes such as -1073418124) are operands.
    static func isOption(_ token: String) -> Bool {
        guard token.hasPrefix("-"), token != "-" else { return false }
        return !token.dropFirst().allSatisfy(\.isNumber)
    }
}

/// The command line is wrong; esuctl exits with status 2 and points at `--help`.
enum UsageError: Error, Equatable, CustomStringConvertible {
    /// An option that this command does not know.
    case unknownOption(String)
    /// An option that needs a value was last on the line.
    case missingValue(String)
    /// A word where none was expected.
    case unexpectedArgument(String)
    /// A subcommand that does not exist.
    case unknownCommand(String)
    /// A required option or operand is absent.
    case missing(String)
    /// A value has the wrong shape.
    case invalidValue(option: String, problem: String)

    var description: String {
        switch self {
        case .unknownOption(let o): "unknown option '\(o)'"
        case .missingValue(let o): "option '\(o)' needs a value"
        case .unexpectedArgument(let a): "unexpected argument '\(a)'"
        case .unknownCommand(let c): "unknown command '\(c)'"
        case .missing(let what): "missing \(what)"
        case .invalidValue(let option, let problem): "\(option): \(problem)"
        }
    }
}
