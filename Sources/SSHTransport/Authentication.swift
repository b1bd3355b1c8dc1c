internal import CLibSSH2
import Foundation

extension SSHSession {
    /// Logs in as `credentials.user`, trying agent identities, then key files, then the password,
    /// limited to what the server offers. On failure the error lists what was tried and offered.
    public func authenticate(_ credentials: Credentials) throws(SSHError) {
        try ensureUsable()
        let user = credentials.user
        let deadline = Deadline(after: credentials.timeout)
        let timeout = SSHError.operationTimedOut(host: host, operation: "authentication", seconds: credentials.timeout)

        var listPtr: UnsafeMutablePointer<CChar>?
        while true {
            listPtr = libssh2_userauth_list(raw, user, UInt32(user.utf8.count))
            if listPtr != nil { break }
            if libssh2_userauth_authenticated(raw) != 0 {
                isAuthenticatedFlag = true  // the server accepted "none"
                return
            }
            guard lastErrno == LIBSSH2_ERROR_EAGAIN else { throw .connectionLost(host: host, reason: lastError()) }
            if deadline.expired { broken = true; throw timeout }
            waitSocket(deadline)
        }
        let offered = String(cString: listPtr!).split(separator: ",").map(String.init)

        var tried: [String] = []
        var keyProblem: SSHError?
        if offered.contains("publickey") {
            if credentials.useAgent {
                tried.append("ssh-agent")
                if try agentAuth(user: user, socket: credentials.agentSocket, deadline: deadline, timeout: timeout) {
                    isAuthenticatedFlag = true
                    return
                }
            }
            for path in credentials.privateKeyFiles {
                tried.append("publickey \(path)")
                switch try keyFileAuth(user: user, path: path, passphrase: credentials.passphrase, deadline: deadline, timeout: timeout) {
                case .success:
                    isAuthenticatedFlag = true
                    return
                case .rejected:
                    break
                case .keyError(let e):
                    keyProblem = keyProblem ?? e
                }
            }
        }
        if offered.contains("password"), let password = credentials.password {
            tried.append("password")
            let rc = try retry(deadline, onTimeout: timeout) {
                password.withCString { pw, n in
                    libssh2_userauth_password_ex(raw, user, UInt32(user.utf8.count), pw, UInt32(n), nil)
                }
            }
            if rc == 0 {
                isAuthenticatedFlag = true
                return
            }
            if rc != LIBSSH2_ERROR_AUTHENTICATION_FAILED && rc != LIBSSH2_ERROR_PASSWORD_EXPIRED {
                throw .connectionLost(host: host, reason: lastError())
            }
        }
        // A key we could not even load is the more useful thing to report than "denied".
        if let keyProblem { throw keyProblem }
        if tried.isEmpty { throw .noAuthenticationMethod(user: user, host: host, offered: offered) }
        throw .authenticationFailed(user: user, host: host, offered: offered, tried: tried)
    }

    private enum KeyOutcome { case success, rejected, keyError(SSHError) }

    private func keyFileAuth(
        user: String, path: String, passphrase: (@Sendable (String) -> Secret?)?, deadline: Deadline, timeout: SSHError
    ) throws(SSHError) -> KeyOutcome {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            return .keyError(.privateKeyUnreadable(path: path, reason: (error as NSError).localizedDescription))
        }
        let encrypted = PrivateKeyFile.isEncrypted(data)
        var secret: Secret?
        if encrypted {
            secret = passphrase?(path)
            if secret == nil { return .keyError(.privateKeyPassphraseNeeded(path: path)) }
        }
        let bytes = [CChar](unsafeUninitializedCapacity: data.count) { buf, n in
            n = data.copyBytes(to: UnsafeMutableRawBufferPointer(buf))
        }
        let rc = try retry(deadline, onTimeout: timeout) {
            bytes.withUnsafeBufferPointer { buf in
                let priv = buf.baseAddress!
                if let secret {
                    return secret.withCString { pp, _ in
                        libssh2_userauth_publickey_frommemory(raw, user, user.utf8.count, nil, 0, priv, data.count, pp)
                    }
                }
                return libssh2_userauth_publickey_frommemory(raw, user, user.utf8.count, nil, 0, priv, data.count, nil)
            }
        }
        switch rc {
        case 0:
            return .success
        case LIBSSH2_ERROR_FILE, LIBSSH2_ERROR_METHOD_NOT_SUPPORTED, LIBSSH2_ERROR_KEYFILE_AUTH_FAILED:
            return .keyError(encrypted ? .privateKeyPassphraseWrong(path: path)
                : .privateKeyUnreadable(path: path, reason: "not a private key format libssh2 can read"))
        case LIBSSH2_ERROR_AUTHENTICATION_FAILED, LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED, LIBSSH2_ERROR_PUBLICKEY_UNRECOGNIZED:
            return .rejected
        default:
            if lastErrno == LIBSSH2_ERROR_SOCKET_DISCONNECT || lastErrno == LIBSSH2_ERROR_SOCKET_RECV {
                throw .connectionLost(host: host, reason: lastError())
            }
            return .rejected
        }
    }

    private func agentAuth(user: String, socket: String?, deadline: Deadline, timeout: SSHError) throws(SSHError) -> Bool {
        guard let path = socket ?? ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"], !path.isEmpty,
            let agent = libssh2_agent_init(raw)
        else { return false }
        defer { libssh2_agent_free(agent) }
        libssh2_agent_set_identity_path(agent, path)
        guard libssh2_agent_connect(agent) == 0 else { return false }
        defer { _ = libssh2_agent_disconnect(agent) }
        guard libssh2_agent_list_identities(agent) == 0 else { return false }
        var prev: UnsafeMutablePointer<libssh2_agent_publickey>?
        while true {
            var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
            guard libssh2_agent_get_identity(agent, &identity, prev) == 0, let identity else { return false }
            let rc = try retry(deadline, onTimeout: timeout) { libssh2_agent_userauth(agent, user, identity) }
            if rc == 0 { return true }
            if lastErrno == LIBSSH2_ERROR_SOCKET_DISCONNECT { throw .connectionLost(host: host, reason: lastError()) }
            prev = identity
        }
    }
}

enum PrivateKeyFile {
    /// Whether the key needs a passphrase: an OpenSSH key whose cipher is not "none", or an
    /// encrypted PEM/PKCS#8 key. Lets us ask for a passphrase only when one is needed.
    static func isEncrypted(_ data: Data) -> Bool {
        let text = String(decoding: data, as: UTF8.self)
        if text.contains("BEGIN OPENSSH PRIVATE KEY") {
            let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            guard let raw = Data(base64Encoded: body) else { return false }
            let bytes = [UInt8](raw)
            let magic = Array("openssh-key-v1\0".utf8)
            guard bytes.count > magic.count + 4, Array(bytes[0..<magic.count]) == magic else { return false }
            let o = magic.count
            let n = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            guard n >= 0, bytes.count >= o + 4 + n else { return false }
            return String(decoding: bytes[(o + 4)..<(o + 4 + n)], as: UTF8.self) != "none"
        }
        return text.contains("ENCRYPTED")
    }
}
