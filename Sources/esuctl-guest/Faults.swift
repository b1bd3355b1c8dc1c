import Foundation

/// Delivers a session's output through the guest's faults. The session's work (state changes) is
/// already done when this runs: a fault loses or mangles the reply, as a real network or host would.
enum Delivery {
    static func send(_ reply: [UInt8], exitStatus: Int32, faults f: Faults) -> Never {
        if let slow = f.slowSeconds, slow > 0 { Thread.sleep(forTimeInterval: slow) }
        if f.hang == true { hangForever() }
        if let n = f.hugeOutputBytes, n > 0 { streamFiller(n) }
        if f.garbage == true {
            Out.write(garbage(4096))
            exit(exitStatus)
        }
        if f.dropMidOutput == true {
            Out.write(Array(reply.prefix(reply.count / 2)))
            kill(getpid(), SIGKILL)
            hangForever()
        }
        if f.truncateJSON == true {
            Out.write(Array(reply.prefix(reply.count / 2)))
            exit(exitStatus)
        }
        Out.write(reply)
        exit(exitStatus)
    }

    /// Hangs like a stuck Windows process — until the session's channel goes away, which for a
    /// real guest also ends the process. Without this, every hung test session would leave a
    /// simulator process behind for good.
    static func hangForever() -> Never {
        var p = pollfd(fd: 1, events: 0, revents: 0)
        while true {
            if poll(&p, 1, -1) > 0, p.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { exit(1) }
        }
    }

    /// N bytes of console-looking filler, written in 64 KiB pieces (never held whole in memory).
    static func streamFiller(_ n: Int) {
        var line = Array("WARNING: verbose diagnostic output from the guest simulator .......................\r\n".utf8)
        line = Array(line.prefix(80))
        var chunk: [UInt8] = []
        while chunk.count < 65_536 { chunk += line }
        chunk = Array(chunk.prefix(65_536))
        var left = n
        while left > 0 {
            let k = min(left, chunk.count)
            Out.write(Array(chunk[0..<k]))
            left -= k
        }
    }

    /// Deterministic bytes that are neither UTF-8 nor JSON (NULs, 0xFF, stray high bytes).
    static func garbage(_ n: Int) -> [UInt8] {
        var x: UInt32 = 0x9E3779B9
        var out = [UInt8](); out.reserveCapacity(n)
        out += [0xFF, 0xFE, 0x00, 0xC3, 0x28, 0x7B, 0x00, 0x80]
        while out.count < n { x ^= x << 13; x ^= x >> 17; x ^= x << 5; out.append(UInt8(truncatingIfNeeded: x)) }
        return out
    }
}
