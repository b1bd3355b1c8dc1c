import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A point in monotonic time after which an operation gives up.
struct Deadline {
    let nanos: UInt64

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    init(after seconds: Double) {
        nanos = Deadline.now() + UInt64(max(0, seconds) * 1e9)
    }

    var remainingMilliseconds: Int {
        let n = Deadline.now()
        return n >= nanos ? 0 : Int((nanos - n + 999_999) / 1_000_000)
    }

    var expired: Bool { Deadline.now() >= nanos }
}

enum TCP {
    /// Resolves `host` (IPv4, IPv6 literal or DNS name) and connects to the first address that answers
    /// within the remaining time. The returned descriptor is non-blocking and close-on-exec.
    static func connect(host: String, port: Int, timeout: Double) throws(SSHError) -> Int32 {
        let deadline = Deadline(after: timeout)
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        // Bracketed IPv6 literals come from `[::1]:2222` style inventories.
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var res: UnsafeMutablePointer<addrinfo>?
        let gai = getaddrinfo(name, String(port), &hints, &res)
        if gai != 0 {
            // AI_ADDRCONFIG hides ::1 on hosts with only loopback IPv6; retry without it.
            hints.ai_flags = 0
            let again = getaddrinfo(name, String(port), &hints, &res)
            guard again == 0 else {
                throw .nameResolutionFailed(host: host, reason: String(cString: gai_strerror(again)))
            }
        }
        defer { freeaddrinfo(res) }

        var lastError: SSHError = .connectFailed(host: host, port: port, reason: "no address")
        var ai = res
        while let a = ai?.pointee {
            ai = a.ai_next
            let fd = socket(a.ai_family, a.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), a.ai_protocol)
            if fd < 0 {
                lastError = .connectFailed(host: host, port: port, reason: String(cString: strerror(errno)))
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, a.ai_addr, a.ai_addrlen) == 0 { return fd }
            guard errno == EINPROGRESS else {
                lastError = error(errno, host: host, port: port, timeout: timeout)
                close(fd)
                continue
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            var rc: Int32
            repeat {
                rc = poll(&pfd, 1, Int32(clamping: deadline.remainingMilliseconds))
            } while rc < 0 && errno == EINTR
            if rc == 0 {
                close(fd)
                throw .connectTimedOut(host: host, port: port, seconds: timeout)
            }
            var soErr: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soErr, &len)
            if rc > 0 && soErr == 0 { return fd }
            lastError = error(soErr != 0 ? soErr : errno, host: host, port: port, timeout: timeout)
            close(fd)
            if deadline.expired { break }
        }
        throw lastError
    }

    private static func error(_ code: Int32, host: String, port: Int, timeout: Double) -> SSHError {
        switch code {
        case ECONNREFUSED: return .connectionRefused(host: host, port: port)
        case ETIMEDOUT: return .connectTimedOut(host: host, port: port, seconds: timeout)
        default: return .connectFailed(host: host, port: port, reason: String(cString: strerror(code)))
        }
    }
}
