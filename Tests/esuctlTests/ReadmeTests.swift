import Foundation
import Testing

/// Every `esuctl` command the READMEs show is run here, so the documentation cannot drift from
/// the tool: each must succeed (0) or report host states (3, 4) and print a result.
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

    static let all = commands(in: "README.md").map { ("README.md", $0) } + commands(in: "README.ja.md").map { ("README.ja.md", $0) }

    @Test func readmesShowCommands() {
        #expect(Self.commands(in: "README.md").count >= 8)
        #expect(Self.commands(in: "README.ja.md").count == Self.commands(in: "README.md").count)
    }

    @Test(arguments: all)
    func commandWorks(_ file: String, _ line: String) throws {
        // README lines are plain words: no quoting, pipes or variables to interpret.
        let words = line.split(separator: " ").map(String.init)
        #expect(!line.contains("|") && !line.contains("$") && !line.contains("\""))
        let r = try ESUCtl.run(Array(words.dropFirst()))
        #expect([0, 3, 4].contains(r.status), "\(file): `\(line)` exited \(r.status): \(r.stderr)")
        #expect(!r.stdout.isEmpty)
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
