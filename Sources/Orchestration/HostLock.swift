import Foundation

/// One esuctl process per host at a time: an exclusive `flock` on STATE_DIR/locks/HOST.lock, held
/// for the whole run on that host and released by the kernel if the process dies.
public final class HostLock {
    let fd: Int32

    init?(stateDir: URL, host: String) {
        let dir = stateDir.appendingPathComponent("locks")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let fd = open(dir.appendingPathComponent("\(host).lock").path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return nil }
        self.fd = fd
    }

    /// Whether another process (or this one) works on `host` now. An open intent in the audit log
    /// whose host is locked belongs to a run that is alive, not to one that died.
    public static func isHeld(stateDir: URL, host: String) -> Bool {
        let path = stateDir.appendingPathComponent("locks/\(host).lock").path
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return true }
        flock(fd, LOCK_UN)
        return false
    }

    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
