import Foundation
import Testing

/// Every `esuctl` command the READMEs show is run here, in the order shown (the lab commands
/// build on each other), so the documentation cannot drift from the tool: each must succeed (0)
/// or report host states (3, 4) and print a result.
@Suite struct ReadmeTests {
    static func commands(in file: String) -> [String] {
        let text = (try? String(contentsOf: ESUCtl.root.appendingPathComponent(file), encoding: .utf8)) ?? ""
        var inBlock = false
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inBlock.toggle(); continue }
            if inBlock, line.hasPrefix("esuctl ") { out.append(String(line)) }
        }
        return out
    }

    @Test func bothReadmesShowTheSameCommands() {
        let en = Self.commands(in: "README.md")
        #expect(en.count >= 15)
        #expect(Self.commands(in: "README.ja.md").filter { !$0.contains("parse dlv") } == en.filter { !$0.contains("parse dlv") })
    }

    @Test(arguments: ["README.md", "README.ja.md"])
    func everyCommandWorks(_ file: String) throws {
        let commands = Self.commands(in: file)
        // The README's lab lives in /tmp/esuctl-lab; each run here gets its own, so that two test
        // runs on one machine (or a lab an operator left running) cannot meet.
        let lab = "/tmp/esuctl-lab-readme-\(UUID().uuidString.prefix(8))"
        defer { _ = try? ESUCtl.run(["lab", "down", "--dir", lab]) }
        for line in commands {
            // README lines are plain words: no quoting, pipes or variables to interpret.
            #expect(!line.contains("|") && !line.contains("$") && !line.contains("\""))
            let words = line.split(separator: " ").map { $0.replacingOccurrences(of: "/tmp/esuctl-lab", with: lab) }
            let r = try ESUCtl.run(Array(words.dropFirst()))
            #expect([0, 3, 4].contains(r.status), "\(file): `\(line)` exited \(r.status): \(r.stderr)")
            #expect(!r.stdout.isEmpty, "\(file): `\(line)` printed nothing")
        }
    }

    @Test func scriptsTheReadmeNamesExist() {
        for script in ["scripts/demo", "scripts/test"] {
            #expect(FileManager.default.isExecutableFile(atPath: ESUCtl.root.appendingPathComponent(script).path))
            #expect((try? String(contentsOf: ESUCtl.root.appendingPathComponent("README.md"), encoding: .utf8))?.contains(script) == true)
        }
        let ci = (try? String(contentsOf: ESUCtl.root.appendingPathComponent(".ci/run"), encoding: .utf8)) ?? ""
        #expect(ci.contains("exec scripts/test"))
    }
}
