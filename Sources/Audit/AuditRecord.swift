import Digest
import Foundation

/// One line of the audit log, as read back.
public struct AuditRecord: Sendable {
    public let line: String
    public let fields: [String: any Sendable]
    public let seq: Int
    public let prev: String
    public let hash: String

    public var runId: String? { fields["runId"] as? String }
    public var host: String? { fields["host"] as? String }
    public var event: String? { fields["event"] as? String }
    public var time: String? { fields["time"] as? String }
    public var step: String? { fields["step"] as? String }
    public var detail: String? { fields["detail"] as? String }
    public var windowsCode: String? { fields["windowsCode"] as? String }
    public var exitCode: Int? { fields["exitCode"] as? Int }
    public var command: String? { fields["command"] as? String }

    public init?<S: StringProtocol>(line: S) {
        guard let data = line.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let seq = object["seq"] as? Int, let prev = object["prev"] as? String, let hash = object["hash"] as? String
        else { return nil }
        self.line = String(line)
        var sendable: [String: any Sendable] = [:]
        for (k, v) in object {
            switch v {
            case let s as String: sendable[k] = s
            case let n as Int: sendable[k] = n
            case let d as [String: String]: sendable[k] = d
            default: sendable[k] = "\(v)"
            }
        }
        fields = sendable
        self.seq = seq; self.prev = prev; self.hash = hash
    }

    /// The hash the line claims, if its tail has the sealed shape `,"hash":"<64 hex>"}`.
    static func hashOf(line: Substring) -> String? {
        let suffixLength = ",\"hash\":\"".count + 64 + 2
        guard line.count > suffixLength, line.hasSuffix("\"}") else { return nil }
        let tail = line.suffix(suffixLength)
        guard tail.hasPrefix(",\"hash\":\"") else { return nil }
        return String(tail.dropFirst(9).prefix(64))
    }

    /// True when the hash the line carries is the SHA-256 of the rest of it.
    public var sealIntact: Bool {
        let suffixLength = ",\"hash\":\"".count + 64 + 2
        guard let claimed = AuditRecord.hashOf(line: Substring(line)), claimed == hash else { return false }
        let body = String(line.dropLast(suffixLength)) + "}"
        return SHA256.hex(Data(body.utf8)) == claimed
    }
}

/// What `audit verify` found.
public struct AuditVerification: Sendable, Equatable {
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// A line that is not an audit record at all.
        case unreadable(line: Int)
        /// The record's content does not match its own hash: it was edited.
        case altered(line: Int, seq: Int)
        /// The chain breaks here: records before it are missing, or it was moved or inserted.
        case brokenChain(line: Int, seq: Int, expectedSeq: Int)

        public var description: String {
            switch self {
            case .unreadable(let line):
                return "line \(line) is not an audit record (edited, truncated or foreign text)"
            case .altered(let line, let seq):
                return "record \(seq) (line \(line)) was altered: its content no longer matches its hash"
            case .brokenChain(let line, let seq, let expected):
                if seq > expected { return "record \(expected)\(seq - expected > 1 ? "–\(seq - 1)" : "") is missing before line \(line): removed" }
                return "record \(seq) at line \(line) is out of place (expected record \(expected)): records were inserted, swapped or reordered"
            }
        }
    }

    public let records: Int
    public let firstProblem: Problem?
    public var ok: Bool { firstProblem == nil }
}

public enum AuditReader {
    /// Every record in order; stops at nothing (use `verify` for integrity).
    public static func records(_ url: URL) throws -> [AuditRecord] {
        try text(url).split(separator: "\n").compactMap { AuditRecord(line: $0) }
    }

    /// Recomputes the chain from the first record and reports the first place it fails.
    public static func verify(_ url: URL) throws -> AuditVerification {
        var prev = AuditLog.genesis
        var expectedSeq = 1
        var count = 0
        for (i, raw) in try text(url).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = i + 1
            if raw.isEmpty { continue }
            guard let record = AuditRecord(line: raw) else {
                return AuditVerification(records: count, firstProblem: .unreadable(line: lineNumber))
            }
            guard record.sealIntact else {
                return AuditVerification(records: count, firstProblem: .altered(line: lineNumber, seq: record.seq))
            }
            guard record.prev == prev, record.seq == expectedSeq else {
                return AuditVerification(records: count, firstProblem: .brokenChain(line: lineNumber, seq: record.seq, expectedSeq: expectedSeq))
            }
            prev = record.hash
            expectedSeq += 1
            count += 1
        }
        return AuditVerification(records: count, firstProblem: nil)
    }

    static func text(_ url: URL) throws -> String {
        String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }
}
