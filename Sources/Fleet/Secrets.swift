import Foundation
import SSHTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Reads secrets from the environment or, failing that, from the terminal without echo.
/// Never from a command-line argument: those show up in process lists and shell history.
public enum SecretSource {
    /// Prompts on /dev/tty with echo off; nil when there is no terminal or input is empty.
    public static func promptNoEcho(_ prompt: String) -> Secret? {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var old = termios()
        guard tcgetattr(fd, &old) == 0 else { return nil }
        var quiet = old
        quiet.c_lflag &= ~tcflag_t(ECHO)
        _ = prompt.withCString { write(fd, $0, strlen($0)) }
        tcsetattr(fd, TCSAFLUSH, &quiet)
        defer {
            tcsetattr(fd, TCSAFLUSH, &old)
            _ = write(fd, "\n", 1)
        }
        var bytes: [UInt8] = []
        var c: UInt8 = 0
        while read(fd, &c, 1) == 1, c != UInt8(ascii: "\n"), c != UInt8(ascii: "\r") { bytes.append(c) }
        guard !bytes.isEmpty else { return nil }
        return Secret(String(decoding: bytes, as: UTF8.self))
    }
}

/// Key passphrases for a run: `ESUCTL_KEY_PASSPHRASE`, else one prompt per key file, asked once
/// even when many hosts need the same key at the same moment.
public final class PassphraseCache: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String: Secret?] = [:]
    private let environmentValue: Secret?
    private let interactive: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, interactive: Bool = true) {
        environmentValue = environment["ESUCTL_KEY_PASSPHRASE"].map(Secret.init)
        self.interactive = interactive
    }

    public func passphrase(forKey path: String) -> Secret? {
        if let environmentValue { return environmentValue }
        guard interactive else { return nil }
        return lock.withLock {
            if let known = answers[path] { return known }
            let s = SecretSource.promptNoEcho("Enter passphrase for key \(path): ")
            answers[path] = s
            return s
        }
    }
}
