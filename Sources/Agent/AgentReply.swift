import ESUCore
import Foundation

/// The agent's answer, checked against the protocol before anything in it is believed.
public struct AgentReply: Sendable {
    public let verb: String
    public let agentVersion: String?
    /// The `data` member as JSON bytes (nil when the agent sent null).
    public let data: Data?

    /// Reads one reply from the bytes an exec returned.
    public static func parse(stdout: Data, exitStatus: Int32?, expecting verb: AgentVerb) throws(AgentError) -> AgentReply {
        let text = stdout.prefix(256)
        guard !stdout.isEmpty else {
            throw .noReply(exitStatus: exitStatus)
        }
        guard let object = try? JSONSerialization.jsonObject(with: stdout) as? [String: Any] else {
            // The start of a reply without its end: the command was killed, or the connection
            // dropped, while it wrote.
            if looksCutOff(stdout) { throw .cutOff(bytes: stdout.count, exitStatus: exitStatus) }
            throw .malformedReply(preview: preview(text, total: stdout.count))
        }
        guard object["protocol"] as? Int == AgentInvocation.protocolVersion else {
            throw .malformedReply(preview: "protocol \(object["protocol"] ?? "missing"), expected \(AgentInvocation.protocolVersion)")
        }
        guard let ok = object["ok"] as? Bool else { throw .malformedReply(preview: "no 'ok' member") }
        if !ok {
            let error = object["error"] as? [String: Any]
            let code = error?["code"] as? String ?? "unknown"
            let message = error?["text"] as? String ?? ""
            switch code {
            case "protocol", "hash": throw .protocolRejected(code: code, text: message)
            default:
                throw .windows(code: code, windowsCode: WindowsErrorCode.candidates(code).first.flatMap { code.hasPrefix("0x") ? $0 : nil }, text: message)
            }
        }
        guard object["verb"] as? String == verb.name else {
            throw .malformedReply(preview: "reply is for verb '\(object["verb"] ?? "none")', expected '\(verb.name)'")
        }
        let payload: Data?
        if let d = object["data"], !(d is NSNull) {
            // JSONSerialization traps (a fatal error, not a throw) on a top-level string or number:
            // a guest sending `"data":"1"` would have ended the whole run (found by fuzz/run agentreply).
            guard JSONSerialization.isValidJSONObject(d) else {
                throw .malformedReply(preview: "'\(verb.name)' reply's data is not an object or an array")
            }
            payload = try? JSONSerialization.data(withJSONObject: d, options: [.sortedKeys])
        } else {
            payload = nil
        }
        return AgentReply(verb: verb.name, agentVersion: object["agent"] as? String, data: payload)
    }

    /// Starts like a JSON object but does not end like one.
    static func looksCutOff(_ stdout: Data) -> Bool {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        guard let first = stdout.first(where: { !isSpace($0) }), first == UInt8(ascii: "{") else { return false }
        return stdout.last(where: { !isSpace($0) }) != UInt8(ascii: "}")
    }

    /// The head of an output for a message: text as it is, binary bytes only counted, so control
    /// characters never reach a terminal, a report or the audit log's detail.
    static func preview(_ head: Data, total: Int) -> String {
        var text = String(decoding: head, as: UTF8.self)
        if head.count == 256, text.last == "\u{FFFD}" { text.removeLast() } // a character cut at the 256th byte
        let binary = text.unicodeScalars.contains { s in
            s == "\u{FFFD}" || (s.value < 0x20 && s != "\t" && s != "\n" && s != "\r") || s.value == 0x7F
        }
        return binary ? "\(total) bytes of binary data, not text" : text
    }

    /// The `data` member decoded as `T`.
    public func decode<T: Decodable>(_ type: T.Type) throws(AgentError) -> T {
        guard let data else { throw .malformedReply(preview: "'\(verb)' reply has no data") }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            let detail = (error as? DecodingError).map { "\($0.fieldAndProblem.field): \($0.fieldAndProblem.problem)" } ?? "\(error)"
            throw .malformedReply(preview: "'\(verb)' data: \(detail)")
        }
    }
}

/// Why an agent run did not give a usable answer.
public enum AgentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The guest printed nothing: PowerShell missing, the session dropped, or the guest restarting.
    case noReply(exitStatus: Int32?)
    /// The output is the start of a reply without its end: the command was killed, or the
    /// connection dropped, mid-output (nil exit status: the channel closed without one).
    case cutOff(bytes: Int, exitStatus: Int32?)
    /// The output is not a protocol-1 reply (garbage, truncated, another program's output).
    case malformedReply(preview: String)
    /// The bootstrap refused what esuctl sent (hash or framing): a tampered guest or an esuctl bug.
    case protocolRejected(code: String, text: String)
    /// The step ran and Windows reported an error.
    case windows(code: String, windowsCode: WindowsErrorCode?, text: String)

    public var description: String {
        switch self {
        case .noReply(let status):
            return "the guest sent no reply (exit status \(status.map(String.init) ?? "none")): check that PowerShell runs for this account, or whether the guest is restarting"
        case .cutOff(let bytes, let status):
            let ending = status.map { $0 >= 128 ? "exit status \($0): killed by signal \($0 - 128)" : "exit status \($0)" }
                ?? "the command ended without an exit status"
            return "the reply was cut off after \(bytes) bytes (\(ending)): the agent was killed on the guest or the connection dropped mid-output; nothing from it was believed — run again, and check the guest if it repeats"
        case .malformedReply(let preview):
            return "the guest's reply is not an esuctl agent reply (\(preview.prefix(120))); run `esuctl exec` with a simple command to see what the guest prints"
        case .protocolRejected(let code, let text):
            return "the guest's bootstrap rejected the agent (\(code): \(text)); this is an esuctl bug or the guest tampers with its input — report it with the audit log"
        case .windows(let code, _, let text):
            if let explanation = try? ErrorKnowledge.explain(code), explanation.meaning != "not in esuctl's troubleshooting table" {
                return "\(code): \(text.isEmpty ? explanation.meaning : text) — \(explanation.remedy)"
            }
            return "\(code): \(text)"
        }
    }
}
