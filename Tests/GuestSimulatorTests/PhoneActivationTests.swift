import Foundation
import Testing

/// The phone-activation verbs: installation ID per guest and product, and the documented rule for
/// the confirmation ID the lab's "Microsoft" gives (docs/guest-simulator.md).
@Suite struct PhoneActivationTests {
    let y1 = "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4"
    func err(_ r: Harness.Run) -> String? { (r.json?["error"] as? [String: Any])?["code"] as? String }
    func data(_ r: Harness.Run) -> [String: Any] { r.json?["data"] as? [String: Any] ?? [:] }

    @Test func installationIdThenConfirmationIdLicenses() throws {
        let lab = try Lab(profile: "key-installed", keyHashes: [(1, SequenceTests.keyHash)])
        var r = try lab.agent("installation-id", ["activationId": y1])
        #expect(r.status == 0 && r.json?["verb"] as? String == "installation-id")
        let iid = try #require(data(r)["installationId"] as? String)
        #expect(iid.count == 63 && iid.allSatisfy(\.isNumber))
        // The same as slmgr /dti shows, and stable between sessions.
        #expect(try lab.raw("cscript //nologo slmgr.vbs /dti \(y1)").text == "Installation ID: \(iid)\r\n\r\n")
        #expect(data(try lab.agent("installation-id", ["activationId": y1]))["installationId"] as? String == iid)
        // Another guest with the same key has another installation ID.
        let other = try Lab(profile: "key-installed", guest: "guest02", keyHashes: [(1, SequenceTests.keyHash)])
        #expect(data(try other.agent("installation-id", ["activationId": y1]))["installationId"] as? String != iid)

        // A wrong confirmation ID is refused and changes nothing.
        r = try lab.agent("deposit-confirmation", ["activationId": y1], secret: String(repeating: "0", count: 48))
        #expect(r.status == 1 && err(r) == "0xC004F02C")
        r = try lab.agent("deposit-confirmation", ["activationId": y1], secret: "12345")
        #expect(err(r) == "0xC004F02C")
        r = try lab.agent("deposit-confirmation", ["activationId": y1])
        #expect(err(r) == "args")
        #expect(try lab.raw("cscript //nologo slmgr.vbs /dlv \(y1)").text.contains("License Status: Notification"))

        // The right one, in blocks as read out on the phone.
        let cid = Array(SlmgrTests.confirmationID(iid))
        let spoken = stride(from: 0, to: 48, by: 6).map { String(cid[$0..<$0 + 6]) }.joined(separator: "-")
        r = try lab.agent("deposit-confirmation", ["activationId": y1], secret: spoken)
        #expect(r.status == 0, "\(r.text)")
        #expect(data(r)["licenseStatus"] as? String == "licensed")
        #expect(try lab.raw("cscript //nologo slmgr.vbs /dlv \(y1)").text.contains("License Status: Licensed"))

        // The simulator's own helper gives the same answer.
        let helper = try Harness.run(["confirmation-id", iid])
        #expect(helper.text == spoken + "\n")
    }

    @Test func noKeyNoInstallationId() throws {
        let lab = try Lab(profile: "licensed")
        #expect(err(try lab.agent("installation-id", ["activationId": "00000000-0000-0000-0000-000000000000"])) == "not-found")
        let fresh = try Lab(profile: "arc")
        #expect(err(try fresh.agent("installation-id", ["activationId": y1])) == "no-key")
        #expect(err(try fresh.agent("deposit-confirmation", ["activationId": y1], secret: String(repeating: "1", count: 48))) == "no-key")
    }
}
