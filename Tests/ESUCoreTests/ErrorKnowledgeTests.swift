import ESUCore
import Foundation
import Testing

@Suite struct ErrorKnowledgeTests {
    /// Every code DESIGN.md section 2 names, with a word its remedy must carry.
    @Test(arguments: [
        ("0xC004E016", "preparation package", Retry.afterRemedy),
        ("0xC004F050", "restarted", .afterRemedy),
        ("0xC004F069", "2008 R2", .afterRemedy),
        ("0xC004C003", "blocked", .afterRemedy),
        ("0xC004C008", "more activations", .afterRemedy),
        ("0xC004C020", "more activations", .afterRemedy),
        ("0xC004F025", "Administrators", .afterRemedy),
        ("0x80070005", "Administrators", .afterRemedy),
        ("0xC004F074", "ESU Activation ID", .afterRemedy),
        ("0x8007232B", "_vlmcs._tcp", .afterRemedy),
        ("0x80240017", "SSU", .no),
        ("0x00240006", "nothing to do", .no),
        ("0x800F081E", "SSU", .no),
        ("3010", "restart", .no),
    ])
    func knownCodes(_ code: String, _ remedyWord: String, _ retry: Retry) throws {
        let e = try ErrorKnowledge.explain(code)
        #expect(e.remedy.contains(remedyWord), "\(e.remedy)")
        #expect(e.retry == retry)
        #expect(e.meaning != "not in esuctl's troubleshooting table")
    }

    @Test(arguments: ["0xC004F074", "0xc004f074", "C004F074", "c004f074", "-1073418124", "3221549172", " 0xC004F074 "])
    func everySpellingOfOneCode(_ text: String) throws {
        let e = try ErrorKnowledge.explain(text)
        #expect(e.code == "0xC004F074")
        #expect(e.symbol == "SL_E_VL_BINDING_SERVICE_UNAVAILABLE")
    }

    @Test func eightDigitsReadAsHexWhenThatIsTheKnownCode() throws {
        #expect(try ErrorKnowledge.explain("80240017").code == "0x80240017")
        #expect(try ErrorKnowledge.explain("80070005").code == "0x80070005")
    }

    @Test func successCodesSaySo() throws {
        #expect(try ErrorKnowledge.explain("3010").success)
        #expect(try ErrorKnowledge.explain("0x00240006").success)
        #expect(try !ErrorKnowledge.explain("0xC004C008").success)
    }

    @Test(arguments: ["0x80244022", "0x8024402C", "0x80248007", "-2145107924"])
    func windowsUpdateFamilyPointsAtTheSSU(_ code: String) throws {
        let e = try ErrorKnowledge.explain(code)
        #expect(e.meaning.contains("Windows Update"))
        #expect(e.remedy.contains("servicing stack update"))
    }

    @Test func unknownCodeGetsAGenericAnswer() throws {
        let e = try ErrorKnowledge.explain("0xDEADBEEF")
        #expect(e.code == "0xDEADBEEF")
        #expect(e.remedy.contains("slui.exe 0x2a 0xDEADBEEF"))
    }

    @Test(arguments: ["restart-loop", "Activation-Not-Completing"])
    func symptomTopics(_ topic: String) throws {
        let e = try ErrorKnowledge.explain(topic)
        #expect(e.code == topic.lowercased())
        #expect(!e.remedy.isEmpty)
    }

    @Test func restartLoopRemedyFollowsTheSeed() throws {
        let e = try ErrorKnowledge.explain("restart-loop")
        #expect(e.remedy.contains("drivers") && e.remedy.contains("System event log"))
        let a = try ErrorKnowledge.explain("activation-not-completing")
        #expect(a.remedy.contains("key") && a.remedy.contains("Activation ID"))
    }

    @Test(arguments: ["", "hello", "0x", "0xGG", "0x123456789", "99999999999", "-99999999999", "C004F07"])
    func rejectsNonCodes(_ text: String) {
        #expect(throws: ErrorKnowledge.LookupError.notACode(text)) { try ErrorKnowledge.explain(text) }
    }

    @Test func everyTableEntryIsReachableByItsHex() throws {
        for code in ErrorKnowledge.allCodes {
            #expect(ErrorKnowledge.known(code)?.code == code.hex)
            #expect(try ErrorKnowledge.explain(code.hex).code == code.hex)
            #expect(try ErrorKnowledge.explain(String(code.signedDecimal)).code == code.hex)
        }
        #expect(ErrorKnowledge.known(WindowsErrorCode(0x12345678)) == nil)
    }
}
