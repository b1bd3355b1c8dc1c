import Foundation

/// Where esuctl's output goes. Only the result goes to stdout; progress, warnings and errors go to
/// stderr, so `esuctl ... --json | jq` always sees clean JSON.
enum Terminal {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static var stdoutIsTTY: Bool { isatty(STDOUT_FILENO) == 1 }

    /// Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org).
    static var useColor: Bool {
        stdoutIsTTY && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }

    static func bold(_ s: String) -> String { useColor ? "\u{1B}[1m\(s)\u{1B}[0m" : s }

    /// Pretty, key-sorted JSON: stable enough to diff and to test against.
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            // Our own types always encode; reaching this is a bug worth a clear message.
            return "{\"error\": \"internal: could not encode result: \(error)\"}"
        }
    }
}

/// Exit statuses, the same for every command.
enum ExitStatus: Int32 {
    /// Every host compliant or not applicable; or the command simply succeeded.
    case ok = 0
    /// esuctl itself failed (unreadable file, internal error).
    case failure = 1
    /// The command line is wrong.
    case usage = 2
    /// Some hosts need action.
    case actionRequired = 3
    /// Some hosts are blocked, failed or unreachable.
    case blocked = 4
}
