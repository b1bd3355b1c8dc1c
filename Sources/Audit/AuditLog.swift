import Digest
import Foundation

/// What happened, as one audit record says it. Secrets never reach this type: commands arrive
/// already masked (see `AgentInvocation.auditCommand`), output only as a digest and a short head.
public struct AuditEvent: Sendable {
    public var runId: String
    public var host: String?
    /// `collect`, `step.intent`, `step.result`, `plan.created`, `apply.started`, `run.started`, …
    public var event: String
    public var step: String?
    public var command: String?
    public var exitCode: Int32?
    public var windowsCode: String?
    public var stdout: Data?
    public var stderr: Data?
    public var planDigest: String?
    public var detail: String?

    public init(runId: String, host: String? = nil, event: String, step: String? = nil, command: String? = nil,
                exitCode: Int32? = nil, windowsCode: String? = nil, stdout: Data? = nil, stderr: Data? = nil,
                planDigest: String? = nil, detail: String? = nil) {
        self.runId = runId; self.host = host; self.event = event; self.step = step; self.command = command
        self.exitCode = exitCode; self.windowsCode = windowsCode; self.stdout = stdout; self.stderr = stderr
        self.planDigest = planDigest; self.detail = detail
    }
}

/// The audit log: append-only JSON Lines, each record chained to the previous one by SHA-256.
///
/// A record is written as its canonical JSON (sorted keys, no spaces) with `"hash"` appended as
/// the last member; the hash covers the bytes before it (with the closing brace). `audit verify`
/// can therefore check any record without knowing its fields, and records written by a newer
/// esuctl with more fields still verify.
public final class AuditLog: @unchecked Sendable {
    public static let genesis = String(repeating: "0", count: 64)
    /// How much of stdout/stderr a record keeps in clear (the digest covers all of it).
    public static let headBytes = 4096

    public let url: URL
    let operatorUser: String
    let operatorHost: String
    let clock: @Sendable () -> Date
    /// Applied to every text field before it is written: the last guard against a secret that
    /// arrived inside remote output or an operator's command.
    let redact: @Sendable (String) -> String

    public init(url: URL, clock: @escaping @Sendable () -> Date = Date.init,
                redact: @escaping @Sendable (String) -> String = { $0 }) {
        self.url = url
        self.clock = clock
        self.redact = redact
        operatorUser = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        operatorHost = ProcessInfo.processInfo.hostName
    }

    /// Checks, before anything is done to any host, that records can be written here.
    public func ensureWritable() throws(AuditError) {
        let dir = url.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw .unwritable(path: url.path, reason: "cannot create \(dir.path)")
        }
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .unwritable(path: url.path, reason: String(cString: strerror(errno))) }
        close(fd)
    }

    /// Appends one record and forces it to disk before returning: a `step.intent` that returns has
    /// been recorded, whatever happens to this process next.
    @discardableResult
    public func append(_ e: AuditEvent) throws(AuditError) -> String {
        let fd = open(url.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .unwritable(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        // One writer at a time across processes: the chain needs the true last record.
        guard flock(fd, LOCK_EX) == 0 else { throw .unwritable(path: url.path, reason: "cannot lock: \(String(cString: strerror(errno)))") }
        defer { flock(fd, LOCK_UN) }

        let (prev, seq) = try lastRecord(fd)
        var fields: [String: Any] = [
            "seq": seq + 1, "prev": prev, "runId": e.runId, "event": e.event,
            "time": AuditLog.iso8601(clock()),
            "operator": ["user": operatorUser, "host": operatorHost],
        ]
        if let v = e.host { fields["host"] = v }
        if let v = e.step { fields["step"] = v }
        if let v = e.command { fields["command"] = redact(v) }
        if let v = e.exitCode { fields["exitCode"] = Int(v) }
        if let v = e.windowsCode { fields["windowsCode"] = v }
        if let v = e.planDigest { fields["planDigest"] = v }
        if let v = e.detail { fields["detail"] = redact(v) }
        for (name, data) in [("stdout", e.stdout), ("stderr", e.stderr)] {
            guard let data else { continue }
            fields[name + "Digest"] = SHA256.hex(data)
            fields[name + "Bytes"] = data.count
            fields[name + "Head"] = redact(String(decoding: data.prefix(AuditLog.headBytes), as: UTF8.self))
        }
        let line = AuditLog.seal(fields) + "\n"
        let bytes = Array(line.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw .unwritable(path: url.path, reason: String(cString: strerror(errno))) }
            written += n
        }
        guard fsync(fd) == 0 else { throw .unwritable(path: url.path, reason: "fsync: \(String(cString: strerror(errno)))") }
        return AuditRecord.hashOf(line: Substring(line.dropLast()))!
    }

    /// Canonical JSON of `fields` with the hash member appended.
    static func seal(_ fields: [String: Any]) -> String {
        let body = canonical(fields)
        let hash = SHA256.hex(Data(body.utf8))
        return String(body.dropLast()) + ",\"hash\":\"\(hash)\"}"
    }

    static func canonical(_ object: [String: Any]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// The last record's hash and sequence number, read from the file's tail.
    func lastRecord(_ fd: Int32) throws(AuditError) -> (String, Int) {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return (AuditLog.genesis, 0) }
        var window = min(Int(size), 65536)
        while true {
            var buffer = [UInt8](repeating: 0, count: window)
            let n = pread(fd, &buffer, window, off_t(Int(size) - window))
            guard n == window else { throw .unwritable(path: url.path, reason: "cannot read its end") }
            // Bytes, not Characters: splitting 64 KiB as a String costs grapheme breaking on every
            // append. Records are one line each and "\n" never occurs inside UTF-8 sequences.
            let newline = UInt8(ascii: "\n")
            var end = buffer.count
            while end > 0, buffer[end - 1] == newline { end -= 1 }
            let start = buffer[..<end].lastIndex(of: newline).map { $0 + 1 }
            if end > 0, start != nil || window == Int(size) {
                let last = Substring(String(decoding: buffer[(start ?? 0)..<end], as: UTF8.self))
                guard let record = AuditRecord(line: last) else {
                    throw .corrupt(path: url.path, reason: "its last line is not an audit record; run `esuctl audit verify`")
                }
                return (record.hash, record.seq)
            }
            guard window < Int(size) else { throw .corrupt(path: url.path, reason: "no complete record found") }
            window = min(Int(size), window * 4)
        }
    }

    static func iso8601(_ date: Date) -> String {
        formatterLock.lock(); defer { formatterLock.unlock() }
        return formatter.string(from: date)
    }

    /// One formatter for the process (an ICU formatter on Linux: costly to create), under a lock.
    nonisolated(unsafe) static let formatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
    static let formatterLock = NSLock()
}

/// An audit log esuctl cannot use. esuctl never acts on a host without a record of it, so this
/// stops a run before anything is changed.
public enum AuditError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be created, opened, locked or written.
    case unwritable(path: String, reason: String)
    /// The file's end is not a record esuctl wrote.
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case .unwritable(let path, let reason):
            return "cannot write the audit log \(path): \(reason). esuctl does nothing it cannot record; fix the file's permissions or pass --audit FILE"
        case .corrupt(let path, let reason):
            return "the audit log \(path) is damaged: \(reason)"
        }
    }
}
