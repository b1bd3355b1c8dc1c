import Foundation
import Testing

/// The README's main-job command, run as it is (against this test run's build), on a fresh lab.
@Suite struct DemoTests {
    @Test func demoRunsTheMainJobEndToEnd() throws {
        let dir = "/tmp/esuctl-demo-test-\(UUID().uuidString.prefix(8))"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [ESUCtl.root.appendingPathComponent("scripts/demo").path]
        var env = ProcessInfo.processInfo.environment
        env["ESUCTL_BIN"] = ESUCtl.binary.deletingLastPathComponent().path
        env["ESUCTL_DEMO_DIR"] = dir
        env["NO_COLOR"] = "1"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text.suffix(2000))")
        for step in 1...7 { #expect(text.contains("== \(step). "), "step \(step) missing") }
        #expect(text.contains("11 hosts: 8 compliant, 1 notApplicable, 1 blocked, 1 unreachable"), "\(text.suffix(3000))")
        #expect(text.contains("OK: ") && text.contains("chain intact"))
        #expect(text.contains("lab down: stopped and removed \(dir)"))
        #expect(!FileManager.default.fileExists(atPath: dir))
    }
}
