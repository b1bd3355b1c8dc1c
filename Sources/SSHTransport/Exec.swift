internal import CLibSSH2
import Foundation

/// How a remote command ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    /// Killed by a signal; the name as the server reports it, without "SIG" (e.g. "TERM", "KILL").
    case signaled(String)

    public var description: String {
        switch self {
        case .exited(let c): return "exit \(c)"
        case .signaled(let s): return "killed by SIG\(s)"
        }
    }
}

/// The outcome of one remote command. Output beyond the cap is counted but not kept.
public struct ExecResult: Sendable {
    public var status: ExitStatus
    public var stdout: Data
    public var stderr: Data
    /// Bytes the command wrote, including any dropped beyond the cap.
    public var stdoutBytes: Int
    public var stderrBytes: Int

    public var stdoutTruncated: Bool { stdoutBytes > stdout.count }
    public var stderrTruncated: Bool { stderrBytes > stderr.count }
    public var exitCode: Int32? { if case .exited(let c) = status { return c } else { return nil } }
}

public struct ExecOptions: Sendable {
    /// 4 MiB per stream.
    public static let defaultOutputCap = 4 << 20

    /// Bytes written to the command's stdin, followed by EOF. EOF is sent even when nil.
    public var stdin: Data?
    /// Seconds until the command is abandoned and its channel closed; nil waits indefinitely.
    public var timeout: Double?
    /// Bytes kept per stream (stdout and stderr each).
    public var outputCap: Int

    public init(stdin: Data? = nil, timeout: Double? = nil, outputCap: Int = ExecOptions.defaultOutputCap) {
        self.stdin = stdin
        self.timeout = timeout
        self.outputCap = outputCap
    }
}

/// A byte sink that keeps at most `cap` bytes and counts the rest.
struct CappedBuffer {
    let cap: Int
    var data = Data()
    var total = 0

    mutating func append(_ p: UnsafeRawBufferPointer) {
        total += p.count
        let room = cap - data.count
        if room > 0 { data.append(contentsOf: p.prefix(room)) }
    }
}

extension SSHSession {
    /// Runs `command` through the remote user's shell (`exec` request), feeding `options.stdin`
    /// and collecting stdout and stderr separately. Reading continues past the output cap (the
    /// excess is discarded) so the command is never blocked on a full window and its exit status
    /// is still collected.
    public func exec(_ command: String, options: ExecOptions = ExecOptions()) throws(SSHError) -> ExecResult {
        try ensureUsable()
        let deadline = options.timeout.map { Deadline(after: $0) }
        let timedOut = SSHError.commandTimedOut(host: host, seconds: options.timeout ?? 0)

        guard let channel = try retryPointer(deadline, onTimeout: timedOut, {
            libssh2_channel_open_ex(raw, "session", 7, 2 * 1024 * 1024, 32768, nil, 0)
        }) else {
            throw failure("cannot open a channel")
        }
        var finished = false
        defer { release(channel, graceful: finished) }

        let rc = try retry(deadline, onTimeout: timedOut) {
            libssh2_channel_process_startup(channel, "exec", 4, command, UInt32(command.utf8.count))
        }
        guard rc == 0 else { throw failure("exec request denied") }

        let input = options.stdin ?? Data()
        var written = 0
        var eofSent = false
        var out = CappedBuffer(cap: options.outputCap)
        var err = CappedBuffer(cap: options.outputCap)
        let chunk = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 1)
        defer { buffer.deallocate() }
        let cbuf = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
        var eofPasses = 0

        while true {
            var progressed = false
            if !eofSent {
                if written < input.count {
                    let n = input.withUnsafeBytes { p in
                        libssh2_channel_write_ex(
                            channel, 0, p.baseAddress!.advanced(by: written).assumingMemoryBound(to: CChar.self),
                            min(input.count - written, 32768))
                    }
                    if n > 0 {
                        written += n
                        progressed = true
                    } else if n < 0 && Int32(n) != LIBSSH2_ERROR_EAGAIN {
                        // The command stopped reading (it exited or closed stdin); what it did not
                        // read is its business, its output and status still matter.
                        written = input.count
                    }
                }
                if written >= input.count {
                    let e = libssh2_channel_send_eof(channel)
                    if e != LIBSSH2_ERROR_EAGAIN {
                        eofSent = true
                        progressed = true
                    }
                }
            }
            var drained = true
            for stream: Int32 in [0, 1] {
                while true {
                    let n = libssh2_channel_read_ex(channel, stream, cbuf, chunk)
                    if n > 0 {
                        let slice = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                        if stream == 0 { out.append(slice) } else { err.append(slice) }
                        progressed = true
                        continue
                    }
                    if Int32(n) == LIBSSH2_ERROR_EAGAIN { drained = false; break }
                    if n < 0 {
                        broken = true
                        throw .connectionLost(host: host, reason: lastError())
                    }
                    break
                }
            }
            if libssh2_channel_eof(channel) != 0 {
                if drained { break }
                // The reads above may have consumed the EOF (and everything after it) from the
                // socket, so polling now could wait for bytes that will never come: read again.
                if !progressed { eofPasses += 1 }
                if eofPasses < 3 { continue }
                break
            }
            if !progressed {
                if let deadline, deadline.expired { throw timedOut }  // release() abandons the channel
                sendKeepaliveIfDue()
                waitSocket(deadline)
            }
        }

        // sshd sends exit-status/exit-signal before CHANNEL_CLOSE; wait for the close to be sure we have them.
        let closeDeadline = deadline ?? Deadline(after: 30)
        _ = try retry(closeDeadline, onTimeout: timedOut) { libssh2_channel_close(channel) }
        _ = try retry(closeDeadline, onTimeout: timedOut) { libssh2_channel_wait_closed(channel) }
        finished = true

        var status = ExitStatus.exited(libssh2_channel_get_exit_status(channel))
        var sig: UnsafeMutablePointer<CChar>?
        var sigLen = 0
        if libssh2_channel_get_exit_signal(channel, &sig, &sigLen, nil, nil, nil, nil) == 0, let sig {
            if sigLen > 0 { status = .signaled(String(cString: sig)) }
            libssh2_free(raw, sig)
        }
        return ExecResult(status: status, stdout: out.data, stderr: err.data, stdoutBytes: out.total, stderrBytes: err.total)
    }

    private func failure(_ what: String) -> SSHError {
        let e = lastErrno
        if e == LIBSSH2_ERROR_SOCKET_DISCONNECT || e == LIBSSH2_ERROR_SOCKET_RECV || e == LIBSSH2_ERROR_SOCKET_SEND {
            return .connectionLost(host: host, reason: lastError())
        }
        return .channelFailed(host: host, reason: "\(what): \(lastError())")
    }

    private enum Abandoned { case closed, awaitingServer, stuck }

    /// Sends CHANNEL_CLOSE for a command that ran out of time, without waiting for the command.
    ///
    /// sshd answers the close only once the remote process exits, which for a hung command is
    /// never; so once our CLOSE is on the wire we stop waiting and leave the channel to be freed
    /// with the session. Only if the CLOSE cannot even be sent (outbound blocked for 1 s) is the
    /// session unusable.
    private func abandon(_ channel: OpaquePointer) -> Abandoned {
        let grace = Deadline(after: 1)
        while true {
            let rc = libssh2_channel_close(channel)
            if rc == 0 { return .closed }
            if rc != LIBSSH2_ERROR_EAGAIN { return .stuck }
            if libssh2_session_block_directions(raw) & LIBSSH2_SESSION_BLOCK_OUTBOUND == 0 { return .awaitingServer }
            if grace.expired { return .stuck }
            waitSocket(grace)
        }
    }

    private func release(_ channel: OpaquePointer, graceful: Bool) {
        if !graceful {
            guard !broken else { return }  // session_free reclaims it
            switch abandon(channel) {
            case .closed: break
            case .awaitingServer: return
            case .stuck:
                broken = true
                return
            }
        }
        let grace = Deadline(after: 2)
        while libssh2_channel_free(channel) == LIBSSH2_ERROR_EAGAIN, !grace.expired { waitSocket(grace) }
    }
}
