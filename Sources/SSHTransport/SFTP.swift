internal import CLibSSH2
import Foundation

extension SSHSession {
    /// Writes `data` to `remotePath` over SFTP, creating missing parent directories, then checks
    /// that the remote size is what was sent. A relative path is taken from the login's home (where
    /// OpenSSH for Windows starts SFTP sessions). `progress` gets (bytes sent, total).
    public func upload(_ data: Data, to remotePath: String, timeout: Double = 600,
                       progress: ((Int, Int) -> Void)? = nil) throws(SSHError) {
        try ensureUsable()
        let deadline = Deadline(after: timeout)
        let timedOut = SSHError.operationTimedOut(host: host, operation: "SFTP upload of \(remotePath)", seconds: timeout)
        guard let sftp = try retryPointer(deadline, onTimeout: timedOut, { libssh2_sftp_init(raw) }) else {
            throw .channelFailed(host: host, reason: "cannot start SFTP: \(lastError())")
        }
        defer {
            let grace = Deadline(after: 2)
            while libssh2_sftp_shutdown(sftp) == LIBSSH2_ERROR_EAGAIN, !grace.expired { waitSocket(grace) }
        }

        // mkdir -p: an existing directory makes mkdir fail, which is what we want to ignore.
        let parts = remotePath.split(separator: "/", omittingEmptySubsequences: true)
        var prefix = remotePath.hasPrefix("/") ? "/" : ""
        for part in parts.dropLast() {
            prefix += part
            _ = try retry(deadline, onTimeout: timedOut) {
                libssh2_sftp_mkdir_ex(sftp, prefix, UInt32(prefix.utf8.count), 0o755)
            }
            prefix += "/"
        }

        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC)
        guard let handle = try retryPointer(deadline, onTimeout: timedOut, {
            libssh2_sftp_open_ex(sftp, remotePath, UInt32(remotePath.utf8.count), flags, 0o644, Int32(LIBSSH2_SFTP_OPENFILE))
        }) else {
            throw .channelFailed(host: host, reason: "cannot create \(remotePath) over SFTP: \(sftpError(sftp))")
        }
        var sent = 0
        var closed = false
        defer {
            if !closed {
                let grace = Deadline(after: 2)
                while libssh2_sftp_close_handle(handle) == LIBSSH2_ERROR_EAGAIN, !grace.expired { waitSocket(grace) }
            }
        }
        while sent < data.count {
            let n = data.withUnsafeBytes { p in
                libssh2_sftp_write(handle, p.baseAddress!.advanced(by: sent).assumingMemoryBound(to: CChar.self),
                                   min(data.count - sent, 256 * 1024))
            }
            if n > 0 {
                sent += n
                progress?(sent, data.count)
                continue
            }
            if Int32(n) != LIBSSH2_ERROR_EAGAIN {
                throw .channelFailed(host: host, reason: "writing \(remotePath) failed after \(sent) bytes: \(sftpError(sftp))")
            }
            if deadline.expired { broken = true; throw timedOut }
            waitSocket(deadline)
        }
        let rc = try retry(deadline, onTimeout: timedOut) { libssh2_sftp_close_handle(handle) }
        closed = true
        guard rc == 0 else { throw .channelFailed(host: host, reason: "closing \(remotePath) failed: \(sftpError(sftp))") }

        var attrs = LIBSSH2_SFTP_ATTRIBUTES()
        let st = try retry(deadline, onTimeout: timedOut) {
            libssh2_sftp_stat_ex(sftp, remotePath, UInt32(remotePath.utf8.count), Int32(LIBSSH2_SFTP_STAT), &attrs)
        }
        guard st == 0, attrs.flags & UInt(LIBSSH2_SFTP_ATTR_SIZE) != 0 else {
            throw .channelFailed(host: host, reason: "cannot check the size of \(remotePath): \(sftpError(sftp))")
        }
        guard attrs.filesize == UInt64(data.count) else {
            throw .channelFailed(host: host, reason: "\(remotePath) is \(attrs.filesize) bytes on the server, \(data.count) were sent")
        }
    }

    private func sftpError(_ sftp: OpaquePointer) -> String {
        let code = libssh2_sftp_last_error(sftp)
        let names: [UInt: String] = [2: "no such file or directory", 3: "permission denied", 4: "failure", 11: "file already exists",
                                     14: "no space on the file system", 15: "quota exceeded"]
        return code == 0 ? lastError() : "SFTP status \(code) (\(names[code] ?? "see the server log"))"
    }
}
