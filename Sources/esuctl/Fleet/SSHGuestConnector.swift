import Fleet
import Foundation
import Orchestration
import SSHTransport

/// The orchestration's guest sessions, over the libssh2 transport.
struct SSHGuestConnector: GuestConnector {
    let hosts: [String: TargetHost]
    let options: ConnectOptions
    let defaultUser: String
    let password: Secret?
    let passphrases: PassphraseCache
    let useAgent: Bool

    func connect(_ name: String) throws -> GuestSession {
        guard let host = hosts[name] else { throw SSHError.nameResolutionFailed(host: name, reason: "not in the inventory") }
        let credentials = Credentials(user: host.user ?? defaultUser, privateKeyFiles: host.keyFile.map { [$0] } ?? defaultKeyFiles,
                                      useAgent: useAgent, password: password,
                                      passphrase: { [passphrases] in passphrases.passphrase(forKey: $0) })
        return SSHGuestSession(session: try SSHSession.open(host: host.address, port: host.port, options: options, credentials: credentials))
    }

    /// OpenSSH's default identities, when the inventory names none.
    var defaultKeyFiles: [String] {
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        return ["id_ed25519", "id_ecdsa", "id_rsa"].map { "\(home)/.ssh/\($0)" }
            .filter { FileManager.default.fileExists(atPath: $0) }
    }
}

final class SSHGuestSession: GuestSession {
    let session: SSHSession

    init(session: SSHSession) { self.session = session }

    func run(_ command: String, stdin: Data?, timeout: Double) throws -> RemoteOutput {
        let r = try session.exec(command, options: ExecOptions(stdin: stdin, timeout: timeout))
        return RemoteOutput(exitStatus: r.exitCode, stdout: r.stdout, stderr: r.stderr,
                            stdoutBytes: r.stdoutTruncated ? r.stdoutBytes : nil)
    }

    func upload(_ file: URL, to remotePath: String) throws {
        _ = try session.upload(localPath: file.path, to: remotePath)
    }

    func close() { session.close() }
}
