import Foundation
import Testing

@Suite struct SlmgrTests {
    @Test func dlvEnglishBytes() throws {
        let lab = try Lab(profile: "fresh")
        let r = try lab.raw(#"cscript //nologo %windir%\system32\slmgr.vbs /dlv"#, now: "2026-12-04T09:30:12Z")
        #expect(r.status == 0)
        let expected = """
        Software licensing service version: 6.3.9600.17809

        Name: Windows(R), ServerStandard edition
        Description: Windows(R) Operating System, VOLUME_MAK channel
        Activation ID: b3ca044e-a358-4d68-9883-aaa2941aca99
        Application ID: 55c92734-d682-4d71-983e-d6ec3f16059f
        Extended PID: 06401-02976-006-000072-03-1041-9600.0000-3042016
        Product Key Channel: Volume:MAK
        Installation ID: IID
        Use License URL: https://activation-v2.sls.microsoft.com/SLActivateProduct/SLActivateProduct.asmx?configextension=Retail
        Validation URL: https://validation-v2.sls.microsoft.com/SLWGA/slwga.asmx
        Partial Product Key: 3V66T
        License Status: Licensed
        Remaining Windows rearm count: 1000
        Remaining SKU rearm count: 1000
        Trusted time: 12/4/2026 9:30:12 AM



        """.replacingOccurrences(of: "\n", with: "\r\n")
        // The installation ID is 63 digits; compare everything else byte for byte.
        let lines = r.text.components(separatedBy: "\r\n")
        let iid = try #require(lines.first { $0.hasPrefix("Installation ID: ") }).dropFirst("Installation ID: ".count)
        #expect(iid.count == 63 && iid.allSatisfy(\.isNumber))
        #expect(r.text.replacingOccurrences(of: String(iid), with: "IID") == expected)
        #expect(onlyCRLF(r.stdout))
    }
}

/// Every LF is preceded by CR.
func onlyCRLF(_ b: [UInt8]) -> Bool {
    for (i, c) in b.enumerated() where c == 0x0A { if i == 0 || b[i - 1] != 0x0D { return false } }
    return true
}

extension SlmgrTests {
    @Test func slmgrCommands() throws {
        let key = SequenceTests.key
        let lab = try Lab(profile: "arc", keyHashes: [(1, SequenceTests.keyHash)])
        let y1 = "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4"
        // Without //nologo: the WSH banner.
        var r = try lab.raw("CSCRIPT SLMGR.VBS /DLI")
        #expect(r.text.hasPrefix("Microsoft (R) Windows Script Host Version 5.8\r\nCopyright (C) Microsoft Corporation. All rights reserved.\r\n\r\n\r\nName: Windows(R), ServerStandard edition\r\n"))
        #expect(r.text.hasSuffix("Partial Product Key: 3V66T\r\nLicense Status: Licensed\r\n\r\n\r\n"))

        // /ato without a key on the add-on: product not found (exit 0, as slmgr does).
        r = try lab.raw("cscript //nologo slmgr.vbs /ato \(y1)")
        #expect(r.text == "Error: product not found.\r\n\r\n")
        #expect(r.status == 0)

        r = try lab.raw("cscript //nologo slmgr.vbs /ipk AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
        #expect(r.text == "Error: 0xC004F050 The Software Licensing Service reported that the product key is invalid\r\n\r\n")
        #expect(r.status == 0x50) // the HRESULT's low byte: all a Linux exit status can carry

        r = try lab.raw("cscript //nologo slmgr.vbs /ipk \(key.lowercased())")
        #expect(r.text == "Installed product key XXXXX-XXXXX-XXXXX-XXXXX-J462D successfully.\r\n\r\n")
        #expect(r.status == 0)

        r = try lab.raw("cscript //nologo slmgr.vbs /dti \(y1)")
        #expect(r.text.hasPrefix("Installation ID: ") && r.text.hasSuffix("\r\n\r\n"))
        #expect(r.text.count == "Installation ID: ".count + 63 + 2)

        r = try lab.raw("cscript //nologo slmgr.vbs /ato \(y1)")
        #expect(r.text == "Activating Windows(R), Server-ESU-Year1 add-on for ServerStandard,ServerDatacenter,ServerSolution,ServerStorageStandard,ServerStorageWorkgroup (\(y1)) ...\r\nProduct activated successfully.\r\n\r\n")

        r = try lab.raw("cscript //nologo slmgr.vbs /ato")
        #expect(r.text == "Activating Windows(R), ServerStandard edition (b3ca044e-a358-4d68-9883-aaa2941aca99) ...\r\nError: 0xC004F074 The Software Licensing Service reported that the computer could not be activated. The Key Management Service (KMS) is unavailable\r\n\r\n")
        #expect(r.status == 0x74)

        try lab.set("activationError=0xC004F069")
        r = try lab.raw("cscript //nologo slmgr.vbs /ato \(y1)")
        // The fault fails every activation, even of a licensed product (Activate() asks the server again).
        #expect(r.text.hasSuffix("Error: 0xC004F069 \r\n\r\n"))
        #expect(r.status == 0x69)
        try lab.set("activationError=none")
        r = try lab.raw("cscript //nologo slmgr.vbs /ato \(y1)")
        #expect(r.text.hasSuffix("Product activated successfully.\r\n\r\n"))

        let ph = try Lab(profile: "key-installed", keyHashes: [(1, SequenceTests.keyHash)])
        r = try ph.raw("cscript //nologo slmgr.vbs /atp 12345 \(y1)")
        #expect(r.text == "Error: 0xC004F02C The software Licensing Service reported that the format for the offline activation data is incorrect\r\n\r\n")
        // 48 digits, but not the confirmation ID for this installation ID.
        r = try ph.raw("cscript //nologo slmgr.vbs /atp \(String(repeating: "123456", count: 8)) \(y1)")
        #expect(r.text.hasPrefix("Error: 0xC004F02C"))
        let iid = try ph.raw("cscript //nologo slmgr.vbs /dti \(y1)").text.dropFirst("Installation ID: ".count).prefix(63)
        r = try ph.raw("cscript //nologo slmgr.vbs /atp \(SlmgrTests.confirmationID(String(iid))) \(y1)")
        #expect(r.text == "Confirmation ID for product \(y1) deposited successfully.\r\n\r\n")
        r = try ph.raw("cscript //nologo slmgr.vbs /dlv \(y1)")
        #expect(r.text.contains("License Status: Licensed\r\n"))

        // An error slmgr has no text for: the slui hint line, then the code.
        try ph.set("activationError=0xC004F069", "keyRemaining=1:5")
        let p2 = try Lab(profile: "key-installed", keyHashes: [(1, SequenceTests.keyHash)])
        try p2.set("activationError=0xC004F069")
        r = try p2.raw("cscript //nologo slmgr.vbs /ato \(y1)")
        #expect(r.text.hasSuffix("\r\nOn a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0xC004F069' to display the error text.\r\nError: 0xC004F069 \r\n\r\n"))

        r = try lab.raw(#"C:\Windows\System32\slmgr.vbs /dlv"#)
        #expect(r.status == 1)
        #expect(r.text.contains("cscript"))

        r = try lab.raw("cscript //nologo slmgr.vbs /bogus")
        #expect(r.text.hasPrefix("Unrecognized option: /bogus\r\n\r\nWindows Software Licensing Management Tool\r\n"))
        #expect(r.status == 1)
    }

    @Test func japaneseSlmgrIsCP932() throws {
        let lab = try Lab(profile: "japanese")
        let r = try lab.raw(#"cscript //nologo %SystemRoot%\System32\slmgr.vbs /dlv"#, now: "2026-04-12T09:30:12Z")
        let text = try #require(String(data: Data(r.stdout), encoding: .shiftJIS))
        #expect(String(data: Data(r.stdout), encoding: .utf8) == nil || !r.stdout.contains { $0 >= 0x80 })
        #expect(text.hasPrefix("ソフトウェア ライセンス サービスのバージョン: 6.3.9600.17809\r\n\r\n名前: Windows(R), ServerStandard edition\r\n説明: Windows(R) Operating System, VOLUME_MAK channel\r\nアクティベーション ID: b3ca044e-a358-4d68-9883-aaa2941aca99\r\n"))
        #expect(text.contains("\r\nプロダクト キーの一部: 3V66T\r\nライセンスの状態: ライセンスされています\r\nWindows の残りの再認証回数: 1000\r\nSKU の残りの再認証回数: 1000\r\n信頼された時刻: 2026/04/12 9:30:12\r\n"))
        // "ソ" in CP932 is 0x83 0x5C: the second byte is a backslash, so a UTF-8 reader would choke.
        #expect(Array(r.stdout.prefix(2)) == [0x83, 0x5C])
    }

    /// The lab's phone-activation rule, written from docs/guest-simulator.md:
    /// digit i = (iid[i] + iid[i + 15] + i) mod 10, for i in 0..<48.
    static func confirmationID(_ iid: String) -> String {
        let d: [Int] = iid.compactMap { $0.wholeNumberValue }
        var out = ""
        for i in 0..<48 {
            let digit: Int = (d[i] + d[i + 15] + i) % 10
            out += String(digit)
        }
        return out
    }
}
