import Audit
import Digest
import Foundation
import Testing

@Suite struct AuditLogTests {
    let dir: URL
    let url: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("esuctl-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        url = dir.appendingPathComponent("audit.jsonl")
    }

    func write(_ n: Int) throws -> AuditLog {
        let log = AuditLog(url: url)
        for i in 0..<n {
            try log.append(AuditEvent(runId: "run-1", host: "guest\(i % 3)", event: i % 2 == 0 ? "step.intent" : "step.result",
                                      step: "installKey year 1", command: "powershell.exe ... <key XXXXX-XXXXX-XXXXX-XXXXX-GH7K9>",
                                      exitCode: i % 2 == 0 ? nil : 0, stdout: Data("ok \(i) ライセンス\r\n".utf8)))
        }
        return log
    }

    func lines() throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func rewrite(_ lines: [String]) throws {
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    @Test func chainVerifies() throws {
        _ = try write(6)
        let v = try AuditReader.verify(url)
        #expect(v.ok && v.records == 6)
        let records = try AuditReader.records(url)
        #expect(records.map(\.seq) == [1, 2, 3, 4, 5, 6])
        #expect(records[0].prev == AuditLog.genesis)
        for (a, b) in zip(records, records.dropFirst()) { #expect(b.prev == a.hash) }
        #expect(records[1].fields["stdoutDigest"] as? String == SHA256.hex(Data("ok 1 ライセンス\r\n".utf8)))
        #expect((records[1].fields["operator"] as? [String: String])?["host"] != nil)
    }

    @Test func oneByteChangedIsFound() throws {
        _ = try write(5)
        var l = try lines()
        l[2] = l[2].replacingOccurrences(of: "guest2", with: "guest9")
        try rewrite(l)
        #expect(try AuditReader.verify(url).firstProblem == .altered(line: 3, seq: 3))
    }

    @Test func everySingleByteFlipIsFound() throws {
        _ = try write(3)
        let original = try Data(contentsOf: url)
        for i in stride(from: 0, to: original.count, by: 7) where original[i] != 0x0A {
            var copy = original
            copy[i] = copy[i] == 0x41 ? 0x42 : 0x41
            try copy.write(to: url)
            #expect(try !AuditReader.verify(url).ok, "byte \(i) changed unnoticed")
        }
    }

    @Test func removedLineIsFound() throws {
        _ = try write(5)
        var l = try lines()
        l.remove(at: 1)
        try rewrite(l)
        let problem = try AuditReader.verify(url).firstProblem
        #expect(problem == .brokenChain(line: 2, seq: 3, expectedSeq: 2))
        #expect(problem?.description.contains("missing") == true)
    }

    @Test func swappedLinesAreFound() throws {
        _ = try write(5)
        var l = try lines()
        l.swapAt(2, 3)
        try rewrite(l)
        #expect(try AuditReader.verify(url).firstProblem == .brokenChain(line: 3, seq: 4, expectedSeq: 3))
    }

    @Test func lastLineRemovedStillVerifiesButNextAppendContinuesTheChain() throws {
        let log = try write(3)
        try log.append(AuditEvent(runId: "run-2", event: "run.started"))
        #expect(try AuditReader.verify(url).records == 4)
    }

    @Test func foreignLineIsFound() throws {
        _ = try write(3)
        var l = try lines()
        l.insert("{\"note\": \"hand-written\"}", at: 1)
        try rewrite(l)
        #expect(try AuditReader.verify(url).firstProblem == .unreadable(line: 2))
    }

    @Test func concurrentWritersKeepOneChain() throws {
        let writers = 8, each = 25
        let group = DispatchGroup()
        let url = self.url
        for w in 0..<writers {
            group.enter()
            Thread.detachNewThread {
                let log = AuditLog(url: url) // its own file descriptions, as another process would have
                for i in 0..<each { _ = try? log.append(AuditEvent(runId: "run-\(w)", event: "collect", detail: "\(i)")) }
                group.leave()
            }
        }
        group.wait()
        let v = try AuditReader.verify(url)
        #expect(v.ok)
        #expect(v.records == writers * each)
    }

    @Test func unwritableLogStopsBeforeActing() throws {
        let file = dir.appendingPathComponent("a-file")
        try Data().write(to: file)
        let log = AuditLog(url: file.appendingPathComponent("audit.jsonl")) // parent is a file
        #expect(throws: AuditError.self) { try log.ensureWritable() }
        #expect(throws: AuditError.self) { try log.append(AuditEvent(runId: "r", event: "x")) }
    }

    @Test func damagedTailIsReportedNotExtended() throws {
        _ = try write(2)
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile()
        handle.write(Data("{\"truncated\":".utf8))
        try handle.close()
        #expect(throws: AuditError.self) { try AuditLog(url: url).append(AuditEvent(runId: "r", event: "x")) }
    }
}
