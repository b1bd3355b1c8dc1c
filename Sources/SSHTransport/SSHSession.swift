internal import CLibSSH2
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Settings for reaching and trusting a host.
public struct ConnectOptions: Sendable {
    /// Limits TCP connect and, separately, the SSH handshake.
    public var connectTimeout: Double
    /// Seconds between keepalive requests while waiting on a long command; 0 disables.
    public var keepaliveInterval: Int
    public var hostKeyPolicy: HostKeyPolicy
    public var knownHosts: KnownHostsStore

    public init(
        knownHosts: KnownHostsStore, hostKeyPolicy: HostKeyPolicy = .strict,
        connectTimeout: Double = 10, keepaliveInterval: Int = 30
    ) {
        self.knownHosts = knownHosts
        self.hostKeyPolicy = hostKeyPolicy
        self.connectTimeout = connectTimeout
        self.keepaliveInterval = keepaliveInterval
    }
}

/// Who to log in as and with what. Methods are tried in OpenSSH's order: agent, key files, password.
public struct Credentials: Sendable {
    public var user: String
    /// OpenSSH-format (or PEM) private keys: ed25519, ECDSA, RSA.
    public var privateKeyFiles: [String]
    public var useAgent: Bool
    /// The agent socket; nil means `SSH_AUTH_SOCK`.
    public var agentSocket: String?
    public var password: Secret?
    /// Asked for the passphrase of an encrypted key file (path given); nil answer = no passphrase.
    public var passphrase: (@Sendable (String) -> Secret?)?
    /// Limits the whole authentication exchange.
    public var timeout: Double

    public init(
        user: String, privateKeyFiles: [String] = [], useAgent: Bool = false, agentSocket: String? = nil,
        password: Secret? = nil, passphrase: (@Sendable (String) -> Secret?)? = nil, timeout: Double = 30
    ) {
        self.user = user
        self.privateKeyFiles = privateKeyFiles
        self.useAgent = useAgent
        self.agentSocket = agentSocket
        self.password = password
        self.passphrase = passphrase
        self.timeout = timeout
    }
}

private let libssh2Ready: Bool = libssh2_init(0) == 0

/// One SSH connection to one host, reused for everything done on that host.
///
/// libssh2 runs in non-blocking mode and every wait is a `poll` with a deadline, so no call can hang
/// past its timeout. A session is not thread-safe: use it from one thread (the fleet runner gives
/// each host its own dedicated thread). Calls block that thread; never use a session from Swift's
/// cooperative pool.
public final class SSHSession {
    public let host: String
    public let port: Int
    /// The verified host key's `SHA256:` fingerprint.
    public private(set) var hostKeyFingerprint: String = ""
    public var isAuthenticated: Bool { isAuthenticatedFlag }
    var isAuthenticatedFlag = false
    let keepaliveInterval: Int

    let raw: OpaquePointer
    let fd: Int32
    /// Set when a timed-out operation may have left libssh2 mid-packet; no further use is safe.
    var broken = false
    private var closed = false

    private init(host: String, port: Int, raw: OpaquePointer, fd: Int32, keepaliveInterval: Int) {
        self.host = host
        self.port = port
        self.raw = raw
        self.fd = fd
        self.keepaliveInterval = keepaliveInterval
    }

    deinit { close() }

    /// TCP connect, SSH handshake and host key verification against `options.knownHosts`.
    public static func connect(host: String, port: Int = 22, options: ConnectOptions) throws(SSHError) -> SSHSession {
        precondition(libssh2Ready, "libssh2_init failed")
        let fd = try TCP.connect(host: host, port: port, timeout: options.connectTimeout)
        guard let raw = libssh2_session_init_ex(nil, nil, nil, nil) else {
            Glibc.close(fd)
            throw .handshakeFailed(host: host, port: port, reason: "libssh2 could not allocate a session")
        }
        let s = SSHSession(host: host, port: port, raw: raw, fd: fd, keepaliveInterval: options.keepaliveInterval)
        libssh2_session_set_blocking(raw, 0)
        s.preferKnownHostKeyTypes(options.knownHosts.knownKeyTypes(host: host, port: port))

        let deadline = Deadline(after: options.connectTimeout)
        while true {
            let rc = libssh2_session_handshake(raw, fd)
            if rc == 0 { break }
            if rc == LIBSSH2_ERROR_EAGAIN {
                if deadline.expired { throw .handshakeTimedOut(host: host, port: port, seconds: options.connectTimeout) }
                s.waitSocket(deadline)
                continue
            }
            throw .handshakeFailed(host: host, port: port, reason: s.lastError())
        }
        try s.verifyHostKey(options)
        if options.keepaliveInterval > 0 {
            libssh2_keepalive_config(raw, 1, UInt32(options.keepaliveInterval))
        }
        return s
    }

    /// Connect and authenticate in one step.
    public static func open(
        host: String, port: Int = 22, options: ConnectOptions, credentials: Credentials
    ) throws(SSHError) -> SSHSession {
        let s = try connect(host: host, port: port, options: options)
        try s.authenticate(credentials)
        return s
    }

    /// Sends SSH_MSG_DISCONNECT (best effort, bounded) and releases the socket.
    public func close() {
        guard !closed else { return }
        closed = true
        if !broken {
            let deadline = Deadline(after: 2)
            while libssh2_session_disconnect_ex(raw, SSH_DISCONNECT_BY_APPLICATION, "esuctl done", "") == LIBSSH2_ERROR_EAGAIN,
                !deadline.expired
            {
                waitSocket(deadline)
            }
        }
        // Closing the socket first makes libssh2_session_free unable to block on it.
        Glibc.close(fd)
        _ = libssh2_session_free(raw)
    }

    // MARK: - Host key

    private func preferKnownHostKeyTypes(_ known: [String]) {
        // Debian 12's libssh2 1.10 knows no rsa-sha2-* host key algorithms; RSA means ssh-rsa.
        let all = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]
        guard !known.isEmpty else { return }
        var preferred: [String] = []
        for t in known where all.contains(t) && !preferred.contains(t) { preferred.append(t) }
        // As OpenSSH does: ask first for a key type we can check, so a server with several host keys
        // does not present one we have never seen.
        let order = preferred + all.filter { !preferred.contains($0) }
        _ = libssh2_session_method_pref(raw, LIBSSH2_METHOD_HOSTKEY, order.joined(separator: ","))
    }

    private func verifyHostKey(_ options: ConnectOptions) throws(SSHError) {
        var len = 0
        var type: Int32 = 0
        guard let ptr = libssh2_session_hostkey(raw, &len, &type), len > 0 else {
            throw .handshakeFailed(host: host, port: port, reason: "server presented no host key")
        }
        let blob = Data(bytes: ptr, count: len)
        let fp = HostKeyFingerprint.sha256(ofKeyBlob: blob)
        hostKeyFingerprint = fp
        let keyType = HostKeyFingerprint.keyType(ofKeyBlob: blob) ?? "unknown"
        let label = HostKeyFingerprint.label(forKeyType: keyType)
        let name = KnownHostsStore.lookupName(host: host, port: port)
        let store = options.knownHosts
        switch store.verify(host: host, port: port, keyBlob: blob) {
        case .known:
            return
        case .revoked(let line):
            throw .hostKeyRevoked(host: name, keyType: label, fingerprint: fp, knownHosts: store.path, line: line)
        case .changed(let expected, let line):
            throw .hostKeyChanged(host: name, keyType: label, offered: fp, expected: expected, knownHosts: store.path, line: line)
        case .unknown:
            switch options.hostKeyPolicy {
            case .strict:
                throw .hostKeyUnknown(host: name, keyType: label, fingerprint: fp, knownHosts: store.path)
            case .acceptNew:
                try store.record(host: host, port: port, keyBlob: blob)
            }
        }
    }

    // MARK: - Plumbing shared by exec, auth and SFTP

    func lastError() -> String {
        var msg: UnsafeMutablePointer<CChar>?
        var len: Int32 = 0
        let code = libssh2_session_last_error(raw, &msg, &len, 0)
        guard let msg, len > 0 else { return "libssh2 error \(code)" }
        return String(cString: msg)
    }

    var lastErrno: Int32 { libssh2_session_last_errno(raw) }

    /// Waits until libssh2's socket can make progress in the direction it is blocked on, the
    /// deadline passes, or the keepalive interval elapses. Never waits past `deadline`.
    func waitSocket(_ deadline: Deadline?) {
        let dirs = libssh2_session_block_directions(raw)
        var events: Int16 = 0
        if dirs & LIBSSH2_SESSION_BLOCK_INBOUND != 0 { events |= Int16(POLLIN) }
        if dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND != 0 { events |= Int16(POLLOUT) }
        if events == 0 { events = Int16(POLLIN) }
        var ms = keepaliveInterval > 0 ? keepaliveInterval * 1000 : 60_000
        if let deadline { ms = min(ms, deadline.remainingMilliseconds) }
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        _ = poll(&pfd, 1, Int32(clamping: ms))
    }

    /// Retries a libssh2 call while it says EAGAIN; throws `onTimeout` once the deadline passes.
    func retry(_ deadline: Deadline?, onTimeout: @autoclosure () -> SSHError, _ body: () -> Int32) throws(SSHError) -> Int32 {
        while true {
            let rc = body()
            guard rc == LIBSSH2_ERROR_EAGAIN else { return rc }
            if let deadline, deadline.expired {
                broken = true
                throw onTimeout()
            }
            waitSocket(deadline)
        }
    }

    /// The same for calls that return a pointer and signal EAGAIN through the session's errno.
    func retryPointer(_ deadline: Deadline?, onTimeout: @autoclosure () -> SSHError, _ body: () -> OpaquePointer?) throws(SSHError) -> OpaquePointer? {
        while true {
            if let p = body() { return p }
            guard lastErrno == LIBSSH2_ERROR_EAGAIN else { return nil }
            if let deadline, deadline.expired {
                broken = true
                throw onTimeout()
            }
            waitSocket(deadline)
        }
    }

    func ensureUsable() throws(SSHError) {
        if closed || broken { throw .sessionClosed(host: host) }
    }

    func sendKeepaliveIfDue() {
        guard keepaliveInterval > 0 else { return }
        var next: Int32 = 0
        _ = libssh2_keepalive_send(raw, &next)
    }
}
