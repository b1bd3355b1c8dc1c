import Foundation
import Testing

@testable import SSHTransport

@Suite struct SFTPTests {
    @Test func twentyMegabyteUploadIsVerified() throws {
        let dir = try makeTempDir("esuctl-sftp")
        let local = dir + "/payload.msu"
        var bytes = [UInt8](repeating: 0, count: 20 << 20)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: (i &* 7919) ^ (i >> 13)) }
        try Data(bytes).write(to: URL(fileURLWithPath: local))
        let remote = dir + "/uploaded.msu"

        let s = try Env.shared.session()
        var calls: [(UInt64, UInt64)] = []
        let n = try s.upload(localPath: local, to: remote) { sent, total in calls.append((sent, total)) }
        #expect(n == UInt64(bytes.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: remote)) == Data(bytes))
        #expect(calls.count > 1)
        #expect(calls.last.map { $0.0 == $0.1 && $0.1 == UInt64(bytes.count) } == true)
        #expect(zip(calls, calls.dropFirst()).allSatisfy { $0.0 < $1.0 })
        // The session is still good for commands after the transfer.
        #expect(try s.exec("wc -c < \(remote)").stdout == Data("\(bytes.count)\n".utf8))

        // Uploading again replaces the file rather than appending.
        try Data("short".utf8).write(to: URL(fileURLWithPath: local))
        #expect(try s.upload(localPath: local, to: remote) == 5)
        #expect(try String(contentsOfFile: remote, encoding: .utf8) == "short")
    }

    @Test func uploadFailuresAreReported() throws {
        let s = try Env.shared.session()
        let dir = try makeTempDir("esuctl-sftp")
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/f"))
        let e = expectSSHError { try s.upload(localPath: dir + "/f", to: dir + "/missing-dir/f") }
        #expect(e == .sftpFailed(host: "127.0.0.1", path: dir + "/missing-dir/f", reason: "no such file or directory"))
        let missing = expectSSHError { try s.upload(localPath: dir + "/nope", to: dir + "/g") }
        #expect(missing == .localFileUnreadable(path: dir + "/nope", reason: "No such file or directory"))
    }
}
