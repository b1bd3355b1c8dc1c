import Foundation

/// How to treat a host key that `known_hosts` does not vouch for.
public enum HostKeyPolicy: String, Sendable, CaseIterable {
    /// Unknown or changed key: refuse. The default, as with `StrictHostKeyChecking yes`.
    case strict
    /// Unknown key: record it and continue. Changed key: refuse. As `StrictHostKeyChecking accept-new`.
    case acceptNew = "accept-new"
}

/// An OpenSSH `known_hosts` file, loaded once and shared by all sessions of a run.
///
/// Plain, wildcard, negated, `[host]:port` and hashed (`|1|salt|hash`) host patterns are understood,
/// as are the `@revoked` and `@cert-authority` markers (CA lines are skipped: libssh2 cannot verify
/// host certificates). Lines it cannot parse are ignored, as OpenSSH does, so an existing file is
/// never rejected for one odd line.
public final class KnownHostsStore: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var entries: [Entry]

    struct Entry {
        enum Marker { case none, revoked, certAuthority }
        let line: Int
        let marker: Marker
        let hostField: String
        let keyType: String
        let keyBlob: Data
    }

    enum Verdict: Equatable {
        case known
        case unknown
        case changed(expected: [String], line: Int)
        case revoked(line: Int)
    }

    /// A missing file is an empty store (it is created on the first accept-new).
    public init(path: String) throws(SSHError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            entries = []
            return
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .knownHostsUnreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        entries = KnownHostsStore.parse(text)
    }

    /// `~/.ssh/known_hosts`.
    public static var defaultPath: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".ssh/known_hosts")
    }

    /// The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise.
    public static func lookupName(host: String, port: Int) -> String {
        let h = host.lowercased()
        return port == 22 ? h : "[\(h)]:\(port)"
    }

    static func parse(_ text: String) -> [Entry] {
        var result: [Entry] = []
        var lineNo = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            var marker = Entry.Marker.none
            if let first = fields.first, first.hasPrefix("@") {
                switch first {
                case "@revoked": marker = .revoked
                case "@cert-authority": marker = .certAuthority
                default: continue
                }
                fields.removeFirst()
            }
            guard fields.count >= 3, let blob = Data(base64Encoded: fields[2]) else { continue }
            result.append(Entry(line: lineNo, marker: marker, hostField: fields[0], keyType: fields[1], keyBlob: blob))
        }
        return result
    }

    /// Key types recorded for this host, so the handshake can ask the server for one we can check.
    func knownKeyTypes(host: String, port: Int) -> [String] {
        let name = KnownHostsStore.lookupName(host: host, port: port)
        return lock.withLock { entries.filter { $0.marker == .none && Self.matches($0.hostField, name) }.map(\.keyType) }
    }

    func verify(host: String, port: Int, keyBlob: Data) -> Verdict {
        let name = KnownHostsStore.lookupName(host: host, port: port)
        return lock.withLock {
            let relevant = entries.filter { $0.marker != .certAuthority && Self.matches($0.hostField, name) }
            if let r = relevant.first(where: { $0.marker == .revoked && $0.keyBlob == keyBlob }) {
                return .revoked(line: r.line)
            }
            let plain = relevant.filter { $0.marker == .none }
            if plain.contains(where: { $0.keyBlob == keyBlob }) { return .known }
            guard let first = plain.first else { return .unknown }
            // A different key of the same type is a change; so, conservatively, is a key of a type we
            // have no record of while other types are recorded (the handshake asked for the known types).
            let offeredType = HostKeyFingerprint.keyType(ofKeyBlob: keyBlob)
            let sameType = plain.filter { $0.keyType == offeredType }
            let shown = sameType.isEmpty ? plain : sameType
            return .changed(
                expected: shown.map { HostKeyFingerprint.sha256(ofKeyBlob: $0.keyBlob) },
                line: (sameType.first ?? first).line)
        }
    }

    /// Appends `name keytype base64` (0600, creating `~/.ssh` 0700 if needed) and remembers it.
    func record(host: String, port: Int, keyBlob: Data) throws(SSHError) {
        let name = KnownHostsStore.lookupName(host: host, port: port)
        let type = HostKeyFingerprint.keyType(ofKeyBlob: keyBlob) ?? "unknown"
        let line = "\(name) \(type) \(keyBlob.base64EncodedString())\n"
        lock.lock()
        defer { lock.unlock() }
        do {
            let fm = FileManager.default
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty, !fm.fileExists(atPath: dir) {
                do {
                    try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw .knownHostsUnwritable(path: path, reason: (error as NSError).localizedDescription)
                }
            }
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw .knownHostsUnwritable(path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            // A file that does not end in a newline would glue our entry onto its last line.
            var prefix = ""
            var st = stat()
            if fstat(fd, &st) == 0, st.st_size > 0 {
                let rfd = open(path, O_RDONLY | O_CLOEXEC)
                if rfd >= 0 {
                    var last: UInt8 = 0
                    if pread(rfd, &last, 1, off_t(st.st_size - 1)) == 1, last != UInt8(ascii: "\n") { prefix = "\n" }
                    close(rfd)
                }
            }
            let bytes = Array((prefix + line).utf8)
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n == bytes.count, fsync(fd) == 0 else {
                throw .knownHostsUnwritable(path: path, reason: String(cString: strerror(errno)))
            }
            let lineNo = (entries.last?.line ?? 0) + 1
            entries.append(Entry(line: lineNo, marker: .none, hostField: name, keyType: type, keyBlob: keyBlob))
        }

    }

    // MARK: - OpenSSH host matching

    /// `match_hostname`: comma-separated patterns; a matching `!pattern` vetoes; `|1|` is hashed.
    static func matches(_ field: String, _ name: String) -> Bool {
        if field.hasPrefix("|1|") { return hashedMatches(field, name) }
        var positive = false
        for p in field.split(separator: ",") {
            if p.hasPrefix("!") {
                if glob(String(p.dropFirst()).lowercased(), name) { return false }
            } else if glob(String(p).lowercased(), name) {
                positive = true
            }
        }
        return positive
    }

    static func hashedMatches(_ field: String, _ name: String) -> Bool {
        let parts = field.split(separator: "|", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0] == "1", let salt = Data(base64Encoded: String(parts[1])),
            let hash = Data(base64Encoded: String(parts[2]))
        else { return false }
        return Crypto.hmacSHA1(key: salt, message: Data(name.utf8)) == hash
    }

    /// `*` and `?` wildcards, as in OpenSSH's `match_pattern`.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, starP = -1, starT = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                starP = pi; starT = ti; pi += 1
            } else if starP >= 0 {
                pi = starP + 1; starT += 1; ti = starT
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
