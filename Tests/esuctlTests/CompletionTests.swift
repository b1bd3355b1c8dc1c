import Foundation
import Testing

@Suite struct CompletionTests {
    /// Runs `script` in a shell, returning its stdout.
    func shell(_ path: String, _ script: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = ["-c", script]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    @Test func bashCompletesCommandsSubcommandsAndOptions() throws {
        let script = try ESUCtl.run(["completion", "bash"])
        #expect(script.status == 0)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("esuctl-completion-\(UUID().uuidString).bash")
        try Data(script.stdout.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        func complete(_ words: [String]) throws -> [String] {
            let quoted = words.map { "'\($0)'" }.joined(separator: " ")
            let (status, out) = try shell("/bin/bash", "source '\(file.path)'; COMP_WORDS=(\(quoted)); COMP_CWORD=\(words.count - 1); _esuctl; printf '%s\\n' \"${COMPREPLY[@]}\"")
            #expect(status == 0, "\(out)")
            return out.split(separator: "\n").map(String.init).sorted()
        }
        #expect(try complete(["esuctl", "st"]) == ["status"])
        #expect(try complete(["esuctl", "audit", ""]) == ["export", "show", "verify"])
        #expect(try complete(["esuctl", "sync", "--dry"]) == ["--dry-run"])
        #expect(try complete(["esuctl", "audit", "show", "--sh"]) == []) // audit has no --shard
        #expect(try complete(["esuctl", "status", "--sh"]) == ["--shard"])
    }

    @Test func zshScriptParses() throws {
        let script = try ESUCtl.run(["completion", "zsh"])
        #expect(script.stdout.hasPrefix("#compdef esuctl"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("_esuctl-\(UUID().uuidString)")
        try Data(script.stdout.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, out) = try shell("/usr/bin/zsh", "zsh -n '\(file.path)'")
        #expect(status == 0, "\(out)")
        #expect(script.stdout.contains("'sync:"))
    }

    @Test func unknownShellIsAUsageError() throws {
        #expect(try ESUCtl.run(["completion", "fish"]).status == 2)
    }
}
