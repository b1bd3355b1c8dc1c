import Foundation
import Testing

@Suite struct FaultTests {
    @Test func slowAndHang() throws {
        let lab = try Lab(profile: "fresh")
        try lab.set("slowSeconds=1")
        let start = Date()
        let r = try lab.agent("collect")
        #expect(Date().timeIntervalSince(start) >= 1.0)
        #expect(r.status == 0 && r.json != nil)

        try lab.set("slowSeconds=none", "hang=true")
        #expect(throws: Harness.TimedOut.self) {
            try Harness.run(["--lab", lab.dir, "--guest", lab.guest], command: Harness.agentCommand,
                            stdin: Harness.stdin(verb: "collect"), timeout: 1.5)
        }
    }

    @Test func dropMidOutput() throws {
        let lab = try Lab(profile: "fresh")
        try lab.set("dropMidOutput=true")
        let r = try lab.agent("collect")
        #expect(r.signaled)
        #expect(!r.stdout.isEmpty && r.stdout.first == UInt8(ascii: "{"))
        #expect(r.json == nil)
    }

    @Test func garbageAndTruncated() throws {
        let lab = try Lab(profile: "fresh")
        try lab.set("garbage=true")
        var r = try lab.agent("collect")
        #expect(r.json == nil && r.stdout.count == 4096 && r.stdout.contains(0xFF))
        try lab.set("garbage=none", "truncateJSON=true")
        r = try lab.agent("collect")
        #expect(r.json == nil && r.stdout.first == UInt8(ascii: "{") && !r.signaled)
        // Raw commands get the same treatment.
        r = try lab.raw("hostname")
        #expect(r.stdout == Array("GUEST".utf8) || r.stdout.count < 9)
    }

    @Test func hugeOutput() throws {
        let lab = try Lab(profile: "fresh")
        try lab.set("hugeOutputBytes=3000000")
        let r = try lab.agent("collect")
        #expect(r.status == 0)
        #expect(r.stdout.count > 3_000_000)
        let tail = Array(r.stdout.dropFirst(3_000_000))
        let env = (try? JSONSerialization.jsonObject(with: Data(tail))) as? [String: Any]
        #expect(env?["ok"] as? Bool == true)
    }

    @Test func restartThatNeverReturns() throws {
        let lab = try Lab(profile: "prereqs-no-restart")
        try lab.set("downForever=true")
        var r = try lab.agent("restart", ["delaySeconds": 0, "reason": "x"], now: "2026-01-15T09:00:00Z")
        #expect(r.status == 0)
        r = try lab.agent("collect", now: "2030-01-01T00:00:00Z")
        #expect(r.status == 255 && r.stdout.isEmpty)
        // By hand: bring it back.
        try lab.set("downUntil=none", "downForever=false")
        r = try lab.agent("collect", now: "2030-01-01T00:00:00Z")
        #expect(r.status == 0)
    }

    @Test func concurrentSessionsLoseNoUpdate() throws {
        // Ten activations of ten different... the same guest: each install-key/activate pair runs in parallel
        // with collects; the state file must stay valid JSON and end licensed.
        let lab = try Lab(profile: "arc", keyHashes: [(1, SequenceTests.keyHash)])
        try lab.set("keyRemaining=1:100")
        let group = DispatchGroup()
        let failures = Counter()
        for i in 0..<8 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                do {
                    let r = i % 2 == 0 ? try lab.agent("install-key", secret: SequenceTests.key) : try lab.agent("collect")
                    if r.status != 0 { failures.add() }
                } catch { failures.add() }
            }
        }
        group.wait()
        #expect(failures.value == 0)
        let r = try lab.agent("activate", ["activationId": "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4"])
        #expect(r.status == 0)
        let keys = lab.state()["acceptedKeys"] as? [[String: Any]]
        #expect(keys?.first?["remainingActivations"] as? Int == 99)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
