import Foundation

/// Everything that can go wrong talking SSH to one host. Each `description` names the host and
/// tells the operator what to do next. No case ever carries a password, passphrase or key material.
public enum SSHError: Error, Sendable, Equatable, CustomStringConvertible {
    case nameResolutionFailed(host: String, reason: String)
    case connectionRefused(host: String, port: Int)
    case connectTimedOut(host: String, port: Int, seconds: Double)
    case connectFailed(host: String, port: Int, reason: String)
    /// TCP connected but the peer did not complete an SSH handshake in time (not an SSH server, or hung).
    case handshakeTimedOut(host: String, port: Int, seconds: Double)
    case handshakeFailed(host: String, port: Int, reason: String)
    case hostKeyUnknown(host: String, keyType: String, fingerprint: String, knownHosts: String)
    case hostKeyChanged(
        host: String, keyType: String, offered: String, expected: [String], knownHosts: String, line: Int)
    case hostKeyRevoked(host: String, keyType: String, fingerprint: String, knownHosts: String, line: Int)
    case knownHostsUnreadable(path: String, reason: String)
    case knownHostsUnwritable(path: String, reason: String)
    case privateKeyUnreadable(path: String, reason: String)
    case privateKeyPassphraseNeeded(path: String)
    case privateKeyPassphraseWrong(path: String)
    /// `tried` lists what was attempted ("publickey /root/.ssh/id_ed25519", "agent", "password").
    case authenticationFailed(user: String, host: String, offered: [String], tried: [String])
    case noAuthenticationMethod(user: String, host: String, offered: [String])
    case commandTimedOut(host: String, seconds: Double)
    case operationTimedOut(host: String, operation: String, seconds: Double)
    case channelFailed(host: String, reason: String)
    case connectionLost(host: String, reason: String)
    case sftpFailed(host: String, path: String, reason: String)
    case uploadSizeMismatch(host: String, path: String, expected: UInt64, actual: UInt64)
    case localFileUnreadable(path: String, reason: String)
    case sessionClosed(host: String)

    public var description: String {
        switch self {
        case .nameResolutionFailed(let host, let reason):
            return "\(host): cannot resolve the host name (\(reason)); check ansible_host in the inventory and DNS"
        case .connectionRefused(let host, let port):
            return "\(host): connection to port \(port) refused; is sshd running there and is the port right (ansible_port)?"
        case .connectTimedOut(let host, let port, let seconds):
            return "\(host): no answer on port \(port) within \(fmt(seconds)) s; the host may be down or a firewall drops the traffic"
        case .connectFailed(let host, let port, let reason):
            return "\(host): cannot connect to port \(port): \(reason)"
        case .handshakeTimedOut(let host, let port, let seconds):
            return "\(host): port \(port) accepted the connection but no SSH handshake completed within \(fmt(seconds)) s; check that it is an SSH server and not overloaded"
        case .handshakeFailed(let host, let port, let reason):
            return "\(host): SSH handshake on port \(port) failed: \(reason); the server may offer no algorithm libssh2 supports"
        case .hostKeyUnknown(let host, let keyType, let fingerprint, let knownHosts):
            return "\(host): host key is not in \(knownHosts) (\(keyType) \(fingerprint)); verify the fingerprint out of band, then add it (ssh-keyscan, or run once with --host-key-policy accept-new)"
        case .hostKeyChanged(let host, let keyType, let offered, let expected, let knownHosts, let line):
            return "\(host): REMOTE HOST IDENTIFICATION HAS CHANGED: the server offered \(keyType) key \(offered), "
                + "but \(knownHosts):\(line) expects \(expected.joined(separator: " or ")). Someone could be intercepting "
                + "the connection, or the host was reinstalled. Refusing to connect. If the change is legitimate, remove "
                + "the old key with: ssh-keygen -R '\(host)' -f \(knownHosts)"
        case .hostKeyRevoked(let host, let keyType, let fingerprint, let knownHosts, let line):
            return "\(host): the \(keyType) host key \(fingerprint) is marked @revoked in \(knownHosts):\(line); refusing to connect"
        case .knownHostsUnreadable(let path, let reason):
            return "cannot read known_hosts file \(path): \(reason); fix its permissions or pass --known-hosts FILE"
        case .knownHostsUnwritable(let path, let reason):
            return "cannot record a new host key in \(path): \(reason); fix its permissions or pass --known-hosts FILE"
        case .privateKeyUnreadable(let path, let reason):
            return "cannot use private key \(path): \(reason)"
        case .privateKeyPassphraseNeeded(let path):
            return "private key \(path) is encrypted; set ESUCTL_KEY_PASSPHRASE or run from a terminal to be prompted"
        case .privateKeyPassphraseWrong(let path):
            return "private key \(path) could not be decrypted: wrong passphrase (or a key format libssh2 cannot read)"
        case .authenticationFailed(let user, let host, let offered, let tried):
            return "\(host): authentication as '\(user)' failed; tried \(list(tried)); the server offered \(list(offered)). "
                + "Check ansible_user, the key (ansible_ssh_private_key_file / ssh-agent) or the password"
        case .noAuthenticationMethod(let user, let host, let offered):
            return "\(host): no usable credential for '\(user)': the server offers \(list(offered)); "
                + "provide a key (ansible_ssh_private_key_file), an ssh-agent (SSH_AUTH_SOCK) or a password (ESUCTL_SSH_PASSWORD / --ask-pass)"
        case .commandTimedOut(let host, let seconds):
            return "\(host): command did not finish within \(fmt(seconds)) s; the channel was closed. Raise --timeout if it is just slow"
        case .operationTimedOut(let host, let operation, let seconds):
            return "\(host): \(operation) did not complete within \(fmt(seconds)) s"
        case .channelFailed(let host, let reason):
            return "\(host): the server refused to run the command: \(reason)"
        case .connectionLost(let host, let reason):
            return "\(host): connection lost: \(reason)"
        case .sftpFailed(let host, let path, let reason):
            return "\(host): SFTP transfer of \(path) failed: \(reason); check that the sftp subsystem is enabled and the directory is writable"
        case .uploadSizeMismatch(let host, let path, let expected, let actual):
            return "\(host): after upload, \(path) has \(actual) bytes instead of \(expected); the copy is incomplete, retry"
        case .localFileUnreadable(let path, let reason):
            return "cannot read local file \(path): \(reason)"
        case .sessionClosed(let host):
            return "\(host): the SSH session was already closed (or broken by an earlier timeout); reconnect"
        }
    }
}

private func fmt(_ s: Double) -> String {
    s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
}

private func list(_ items: [String]) -> String {
    items.isEmpty ? "nothing" : items.joined(separator: ", ")
}
