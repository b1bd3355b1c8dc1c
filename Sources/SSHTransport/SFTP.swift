internal import CLibSSH2
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

public struct UploadOptions: Sendable {
    /// Permissions of a newly created remote file.
    public var mode: Int32
    /// Seconds without any progress after which the upload is abandoned (a stalled server or link).
    public var stallTimeout: Double

    public init(mode: Int32 = 0o644, stallTimeout: Double = 60) {
        self.mode = mode
        self.stallTimeout = stallTimeout
    }
}

extension SSHSession {
    /// Copies a local file to `remotePath` over SFTP (replacing it), then checks the remote size.
    /// `progress(sent, total)` is called on this thread after each acknowledged chunk.
    /// Returns the number of bytes written.
    @discardableResult
    public func upload(
        localPath: String, to remotePath: String, options: UploadOptions = UploadOptions(),
        progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws(SSHError) -> UInt64 {
        try ensureUsable()
        let fd = Glibc.open(localPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .localFileUnreadable(path: localPath, reason: String(cString: strerror(errno))) }
        defer { Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .localFileUnreadable(path: localPath, reason: "not a regular file")
        }
        let total = UInt64(st.st_size)
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }

        var deadline = Deadline(after: options.stallTimeout)
        let stalled = SSHError.operationTimedOut(host: host, operation: "SFTP upload of \(remotePath)", seconds: options.stallTimeout)

        guard let sftp = try retryPointer(deadline, onTimeout: stalled, { libssh2_sftp_init(raw) }) else {
            throw .sftpFailed(host: host, path: remotePath, reason: "cannot start the sftp subsystem: \(lastError())")
        }
        defer {
            let d = Deadline(after: 2)
            while libssh2_sftp_shutdown(sftp) == LIBSSH2_ERROR_EAGAIN, !d.expired { waitSocket(d) }
        }
        let flags = UInt(LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC)
        guard let handle = try retryPointer(deadline, onTimeout: stalled, {
            libssh2_sftp_open_ex(sftp, remotePath, UInt32(remotePath.utf8.count), flags, Int(options.mode), LIBSSH2_SFTP_OPENFILE)
        }) else {
            throw .sftpFailed(host: host, path: remotePath, reason: sftpReason(sftp))
        }
        var handleOpen = true
        defer {
            if handleOpen {
                let d = Deadline(after: 2)
                while libssh2_sftp_close_handle(handle) == LIBSSH2_ERROR_EAGAIN, !d.expired { waitSocket(d) }
            }
        }

        var sent: UInt64 = 0
        while sent < total {
            let n = read(fd, buffer.baseAddress, chunk)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .localFileUnreadable(path: localPath, reason: n < 0 ? String(cString: strerror(errno)) : "file shrank while uploading") }
            var offset = 0
            // libssh2 pipelines the chunk; each call returns how much the server has acknowledged.
            while offset < n {
                let rc = libssh2_sftp_write(handle, buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), n - offset)
                if rc > 0 {
                    offset += rc
                    sent += UInt64(rc)
                    deadline = Deadline(after: options.stallTimeout)
                    progress?(sent, total)
                } else if Int32(rc) == LIBSSH2_ERROR_EAGAIN {
                    if deadline.expired { broken = true; throw stalled }
                    waitSocket(deadline)
                } else {
                    throw .sftpFailed(host: host, path: remotePath, reason: sftpReason(sftp))
                }
            }
        }
        handleOpen = false
        let closeRC = try retry(deadline, onTimeout: stalled) { libssh2_sftp_close_handle(handle) }
        guard closeRC == 0 else { throw .sftpFailed(host: host, path: remotePath, reason: "closing the file failed: \(sftpReason(sftp))") }

        var attrs = LIBSSH2_SFTP_ATTRIBUTES()
        let statRC = try retry(deadline, onTimeout: stalled) {
            libssh2_sftp_stat_ex(sftp, remotePath, UInt32(remotePath.utf8.count), LIBSSH2_SFTP_STAT, &attrs)
        }
        guard statRC == 0, attrs.flags & UInt(LIBSSH2_SFTP_ATTR_SIZE) != 0 else {
            throw .sftpFailed(host: host, path: remotePath, reason: "cannot check the size after upload: \(sftpReason(sftp))")
        }
        guard attrs.filesize == total else {
            throw .uploadSizeMismatch(host: host, path: remotePath, expected: total, actual: attrs.filesize)
        }
        return total
    }

    private func sftpReason(_ sftp: OpaquePointer) -> String {
        guard lastErrno == LIBSSH2_ERROR_SFTP_PROTOCOL else { return lastError() }
        switch libssh2_sftp_last_error(sftp) {
        case UInt(LIBSSH2_FX_NO_SUCH_FILE), UInt(LIBSSH2_FX_NO_SUCH_PATH): return "no such file or directory"
        case UInt(LIBSSH2_FX_PERMISSION_DENIED): return "permission denied"
        case UInt(LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM), UInt(LIBSSH2_FX_QUOTA_EXCEEDED): return "no space left on the remote disk"
        case UInt(LIBSSH2_FX_FAILURE): return "the server reported a failure (is the path a directory, or the disk full?)"
        case let code: return "SFTP status \(code)"
        }
    }
}
