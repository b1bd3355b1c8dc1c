import ESUCore
import Foundation
import Testing

@Suite struct HotfixParserTests {
    /// The real samples in Fixtures/hotfixes (see ../shared/samples/README.md for their sources),
    /// with the count of distinct KBs and the first and last KB in listing order, read off the files.
    @Test(arguments: [
        ("qfe-wmic-en-2012r2-01.txt", 208, "KB2894856", "KB4571703"),
        ("systeminfo-en-2012r2-01.txt", 208, "KB2894856", "KB4571703"),
        ("qfe-wmic-2012r2-winpeas-blanklines-01.txt", 31, "KB2959936", "KB3014442"),
        ("systeminfo-en-2012r2-greeklocale-01.txt", 31, "KB2959936", "KB3014442"),
        ("gethotfix-en-win7or2008r2-kraken-01.txt", 130, "KB2479943", "KB3063858"),
    ])
    func realSamples(_ file: String, _ count: Int, _ first: String, _ last: String) throws {
        let text = Fixture.fixtureText("hotfixes/" + file)
        let kbs = HotfixParser.parse(text)
        #expect(kbs.count == count)
        #expect(kbs.contains(Fixture.kb(first)) && kbs.contains(Fixture.kb(last)))
        #expect(kbs == kbs.sorted() && Set(kbs).count == kbs.count)
        // CRLF, as a real console prints it, gives the same set.
        #expect(HotfixParser.parse(text.replacingOccurrences(of: "\n", with: "\r\n")) == kbs)
    }

    @Test func systeminfoAndQFEOfOneMachineAgree() {
        let a = HotfixParser.parse(Fixture.fixtureText("hotfixes/qfe-wmic-en-2012r2-01.txt"))
        let b = HotfixParser.parse(Fixture.fixtureText("hotfixes/systeminfo-en-2012r2-01.txt"))
        #expect(a == b)
    }

    @Test func wmicQfeList() {
        let text = """
        Caption                                     CSName     Description      FixComments  HotFixID   InstallDate  InstalledBy          InstalledOn  Name  ServicePackInEffect  Status\r
        http://support.microsoft.com/?kbid=5029368  GUEST01    Update                        KB5029368               NT AUTHORITY\\SYSTEM  8/9/2023                                      \r
        http://support.microsoft.com/?kbid=5017220  GUEST01    Update                        KB5017220               NT AUTHORITY\\SYSTEM  10/2/2023                                     \r
        https://support.microsoft.com/help/4571703  GUEST01    Security Update               KB4571703               NT AUTHORITY\\SYSTEM  9/1/2020                                      \r
        \r

        """
        #expect(HotfixParser.parse(text).map(\.description) == ["KB4571703", "KB5017220", "KB5029368"])
    }

    @Test func wmicQfeGetHotFixID() {
        let text = "HotFixID   \r\r\nKB5029368  \r\r\nKB5017220  \r\r\n\r\r\n"
        #expect(HotfixParser.parse(text).map(\.description) == ["KB5017220", "KB5029368"])
    }

    @Test func japaneseSysteminfo() throws {
        let text = """
        ホスト名:                               GUEST-JA01\r
        OS 名:                                  Microsoft Windows Server 2012 R2 Standard\r
        OS バージョン:                          6.3.9600 N/A ビルド 9600\r
        ホットフィックス:                       3 ホットフィックスがインストールされています。\r
                                                [01]: KB2919355\r
                                                [02]: KB5029368\r
                                                [03]: KB5017220\r
        ネットワーク カード:                    1 NIC(s) がインストールされています。\r

        """
        // As a Japanese console sends it: cp932 bytes.
        let bytes = try #require(text.data(using: .shiftJIS))
        let decoded = WindowsText.decode(bytes)
        #expect(decoded == text)
        #expect(HotfixParser.parse(decoded).map(\.description) == ["KB2919355", "KB5017220", "KB5029368"])
    }

    @Test func dismGetPackagesSkipsPackagesNotInstalled() {
        let text = """
        Deployment Image Servicing and Management tool\r
        Version: 6.3.9600.17031\r
        \r
        Image Version: 6.3.9600.17031\r
        \r
        Packages listing:\r
        \r
        Package Identity : Package_for_KB2919355~31bf3856ad364e35~amd64~~6.3.1.14\r
        State : Installed\r
        Release Type : Update\r
        Install Time : 3/18/2014 9:47 PM\r
        \r
        Package Identity : Package_for_KB5017220~31bf3856ad364e35~amd64~~6.3.1.2\r
        State : Install Pending\r
        Release Type : Update\r
        Install Time : 12/4/2026 9:12 AM\r
        \r
        Package Identity : Package_for_KB5029368~31bf3856ad364e35~amd64~~6.3.1.0\r
        State : Staged\r
        Release Type : Update\r
        \r
        Package Identity : Package_for_KB3000850~31bf3856ad364e35~amd64~~6.3.1.1\r
        State : Superseded\r
        \r
        Package Identity : Package_for_RollupFix~31bf3856ad364e35~amd64~~9600.21620.1.4\r
        State : Installed\r
        \r
        Package Identity : Package_1_for_KB4054519~31bf3856ad364e35~amd64~~6.3.1.1\r
        State : Uninstall Pending\r
        \r
        Package Identity : Package_for_KB3172614~31bf3856ad364e35~amd64~~6.3.1.4
        """
        #expect(HotfixParser.parse(text).map(\.description) == ["KB2919355", "KB3000850", "KB3172614", "KB5017220"])
    }

    @Test func getHotFixTable() {
        let text = """

        Source        Description      HotFixID      InstalledBy          InstalledOn              \r
        ------        -----------      --------      -----------          -----------              \r
        GUEST01       Update           KB5029368     NT AUTHORITY\\SYSTEM  8/9/2023 12:00:00 AM     \r
        GUEST01       Security Update  KB5017220     GUEST01\\Admini...    10/2/2023 12:00:00 AM    \r

        """
        #expect(HotfixParser.parse(text).map(\.description) == ["KB5017220", "KB5029368"])
    }

    @Test(arguments: [
        ("", []),
        ("HotFixID\r\n", []),
        ("KB12345 KB123456789 XKB5017220 KB5017220X KB50172201", []), // wrong length or glued to other text
        ("kb5017220", ["KB5017220"]),
        ("(KB5017220)", ["KB5017220"]),
        ("Update for Windows (KB5017220) KB5017220 KB5017220", ["KB5017220"]),
        ("http://support.microsoft.com/?kbid=5029368", []), // a URL's kbid is not a listing
    ])
    func edgeCases(_ text: String, _ expected: [String]) {
        #expect(HotfixParser.parse(text).map(\.description) == expected)
    }

    @Test func garbageGivesNothing() {
        var bytes = [UInt8]()
        var x: UInt32 = 2463534242 // xorshift: deterministic "random" bytes
        for _ in 0..<200_000 {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5
            bytes.append(UInt8(truncatingIfNeeded: x))
        }
        let text = WindowsText.decode(Data(bytes))
        #expect(HotfixParser.parse(text).allSatisfy { $0.description.count >= 8 })
    }

    @Test func fiftyMegabytesIsLinear() {
        let line = "                           [42]: KB5029368\r\n"
        var text = String(repeating: line, count: 50_000_000 / line.utf8.count)
        text += "[99]: KB5017220\r\n"
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(HotfixParser.parse(text).map(\.description) == ["KB5017220", "KB5029368"]) }
        // Not a timing test: a generous bound that only a quadratic parser would break.
        #expect(elapsed < .seconds(300))
        let oneLine = String(repeating: "x", count: 10_000_000) + " KB5029368"
        #expect(HotfixParser.parse(oneLine).map(\.description) == ["KB5029368"])
    }
}

@Suite struct WindowsTextTests {
    static let sample = "ライセンスの状態: ライセンスされています\r\nKB5017220 ①～\r\n"

    @Test func utf8() {
        #expect(WindowsText.decodeDetecting(Data(Self.sample.utf8)) == (Self.sample, .utf8))
    }

    @Test func utf8WithBOM() {
        #expect(WindowsText.decode(Data([0xEF, 0xBB, 0xBF] + Array(Self.sample.utf8))) == Self.sample)
    }

    @Test func utf16LEWithBOM() {
        let bytes: [UInt8] = [0xFF, 0xFE] + Self.sample.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(WindowsText.decodeDetecting(Data(bytes)) == (Self.sample, .utf16LE))
    }

    @Test func utf16LEWithoutBOM() {
        let ascii = "HotFixID\r\nKB5017220\r\n"
        let bytes = ascii.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(WindowsText.decodeDetecting(Data(bytes)) == (ascii, .utf16LE))
    }

    @Test func utf16BEWithBOM() {
        let bytes: [UInt8] = [0xFE, 0xFF] + Self.sample.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        #expect(WindowsText.decode(Data(bytes)) == Self.sample)
    }

    @Test func cp932IncludingMicrosoftExtensions() {
        // "ライセンス" then NEC ① (87 40) and the full-width tilde cp932 maps to U+FF5E (81 60).
        let bytes: [UInt8] = [0x83, 0x89, 0x83, 0x43, 0x83, 0x5A, 0x83, 0x93, 0x83, 0x58, 0x87, 0x40, 0x81, 0x60, 0x0D, 0x0A]
        #expect(WindowsText.decodeDetecting(Data(bytes)) == ("ライセンス①～\r\n", .cp932))
    }

    @Test func emptyAndInvalid() {
        #expect(WindowsText.decode(Data()) == "")
        // Not UTF-8, not cp932 (0xFF is invalid in both): decoded lossily, never a crash.
        #expect(WindowsText.decode(Data([0x41, 0xFF, 0xFF, 0x42])).hasPrefix("A"))
        #expect(WindowsText.decode(Data([0xFF, 0xFE, 0x41])) == "")
    }
}
