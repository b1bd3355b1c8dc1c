import Foundation
import Testing

@Suite struct RawCommandTests {
    @Test func englishByteExact() throws {
        let lab = try Lab(profile: "ssu-only")
        var r = try lab.raw("hostname")
        #expect(r.stdout == Array("GUEST01\r\n".utf8))

        r = try lab.raw("wmic qfe get HotFixID")
        #expect(r.text == "HotFixID   \r\nKB2919355  \r\nKB4571703  \r\nKB5029368  \r\n\r\n")

        r = try lab.raw("WMIC QFE LIST")
        let lines = r.text.components(separatedBy: "\r\n")
        #expect(lines[0] == "Caption                                     CSName   Description  FixComments  HotFixID   InstallDate  InstalledBy          InstalledOn  Name  ServicePackInEffect  Status  ")
        #expect(lines[1] == "http://support.microsoft.com/?kbid=2919355  GUEST01  Update                    KB2919355               NT AUTHORITY\\SYSTEM  4/8/2014                                        ")
        #expect(lines.count == 6 && lines[4] == "" && lines[5] == "")

        r = try lab.raw("systeminfo", now: "2026-01-15T09:00:00Z")
        #expect(r.text.hasPrefix("\r\nHost Name:                 GUEST01\r\nOS Name:                   Microsoft Windows Server 2012 R2 Standard\r\nOS Version:                6.3.9600 N/A Build 9600\r\n"))
        #expect(r.text.hasSuffix("Hotfix(s):                 3 Hotfix(s) Installed.\r\n                           [01]: KB2919355\r\n                           [02]: KB4571703\r\n                           [03]: KB5029368\r\n"))
        #expect(onlyCRLF(r.stdout))

        r = try lab.raw("Get-HotFix")
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == Array("'Get-HotFix' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n".utf8))
    }

    @Test func japaneseIsCP932() throws {
        let lab = try Lab(profile: "japanese")
        var r = try lab.raw("systeminfo")
        let text = try #require(String(data: Data(r.stdout), encoding: .shiftJIS))
        #expect(text.contains("\r\nホスト名:                  GUEST01\r\n"))
        #expect(text.contains("ホットフィックス:          2 ホットフィックスがインストールされています。\r\n                           [01]: KB2919355\r\n"))
        #expect(Array(r.stdout.prefix(4)) == [0x0D, 0x0A, 0x83, 0x7A]) // "ホ" = 83 7A in CP932

        r = try lab.raw("dism /online /get-packages")
        #expect(r.status == 1)
        let err = try #require(String(data: Data(r.stderr), encoding: .shiftJIS))
        #expect(err == "'dism' は、内部コマンドまたは外部コマンド、\r\n操作可能なプログラムまたはバッチ ファイルとして認識されていません。\r\n")
    }
}
