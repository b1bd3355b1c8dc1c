import ESUCore
import Foundation
import Testing

@Suite struct KeysFileTests {
    static let k1 = "BBBBB-CCCCC-DDDDD-FFFFF-GH7K9", k2 = "QQQQQ-RRRRR-TTTTT-VVVVV-WX234"

    @Test func parsesYearsCommentsAndCRLF() throws {
        let keys = try KeysFile.parse("# ESU keys\r\nyear1 = \(Self.k1)\r\n\r\n; note\r\nYear2=\(Self.k2.lowercased())\r\n", file: "keys")
        #expect(keys.count == 2)
        #expect(keys[try ESUYear(1)]?.revealForStdin() == Self.k1)
        #expect(keys[try ESUYear(2)]?.revealForStdin() == Self.k2)
    }

    @Test(arguments: [
        ("year1 \(k1)", "keys:1: expected"),
        ("yearX = \(k1)", "keys:1: expected"),
        ("1 = \(k1)", "keys:1: expected"),
        ("\n\nyear2 = AAAAA-BBBBB-CCCCC-DDDDD-EEEE9", "keys:3: XXXXX-XXXXX-XXXXX-XXXXX-EEEE9 is not a product key"),
        ("year1 = \(k1)\nyear1 = \(k2)", "keys:2: a second key for ESU Year 1"),
    ])
    func errorsNameTheLineAndMaskTheKey(_ text: String, _ message: String) {
        do {
            _ = try KeysFile.parse(text, file: "keys")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
            #expect(!error.description.contains("AAAAA-BBBBB") && !error.description.contains("BBBBB-CCCCC"))
        }
    }

    @Test func environment() throws {
        let keys = try KeysFile.fromEnvironment(["ESUCTL_ESU_KEY_YEAR3": Self.k2, "ESUCTL_ESU_KEY_YEAR1": "", "PATH": "/bin"])
        #expect(keys.keys.map(\.number) == [3])
        #expect(throws: KeysFile.ParseError.invalidKey(file: "ESUCTL_ESU_KEY_YEAR2", line: 0, masked: "XXXXX-XXXXX-XXXXX-XXXXX-90000")) {
            try KeysFile.fromEnvironment(["ESUCTL_ESU_KEY_YEAR2": "NOT-A-KEY-90000"])
        }
    }
}

@Suite struct PayloadManifestTests {
    static let a = String(repeating: "a", count: 64), b = String(repeating: "B", count: 64)

    @Test func sha256sumFormat() throws {
        let m = try PayloadManifest.parse("\(Self.a)  windows8.1-kb5017220-x64_1a2b.msu\r\n\(Self.b) *windows8.1-kb5029368-x64.msu\n# comment\n")
        #expect(m.entries.count == 2)
        #expect(m.payload(for: try KB("KB5017220"))?.file == "windows8.1-kb5017220-x64_1a2b.msu")
        #expect(m.payload(for: try KB("KB5029368"))?.sha256 == String(repeating: "b", count: 64))
        #expect(m.payload(for: try KB("KB5017221")) == nil)
    }

    @Test func kbMatchIsExactAndUnambiguous() throws {
        let m = try PayloadManifest.parse("\(Self.a)  windows8.1-kb50172201-x64.msu\n\(Self.a)  notes-kb5017220.txt\n")
        #expect(m.payload(for: try KB("KB5017220")) == nil)
        let two = try PayloadManifest.parse("\(Self.a)  a-kb5017220.msu\n\(Self.b)  b-kb5017220.msu\n")
        #expect(two.payload(for: try KB("KB5017220")) == nil)
    }

    @Test(arguments: ["abc  file.msu", "\(a)file.msu", "\(a)  ../etc/passwd", "\(a)  sub/file.msu", "\(a)  "])
    func rejectsMalformedLines(_ line: String) {
        #expect(throws: PayloadManifest.ParseError.malformedLine(line: 1)) { try PayloadManifest.parse(line) }
    }
}
