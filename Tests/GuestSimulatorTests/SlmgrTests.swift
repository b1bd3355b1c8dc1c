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
        #expect(!r.stdout.contains(0x0A) || r.text.components(separatedBy: "\n").dropLast().allSatisfy { $0.hasSuffix("\r") })
    }
}
