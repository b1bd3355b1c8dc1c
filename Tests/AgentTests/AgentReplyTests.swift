import Agent
import ESUCore
import Foundation
import Testing

@Suite struct AgentReplyTests {
    let activate = AgentVerb.activate(try! ActivationID("c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4"))

    func reply(_ json: String) -> Data { Data(json.utf8) }

    @Test func success() throws {
        let r = try AgentReply.parse(stdout: reply(#"{"protocol":1,"agent":"1.0.0","verb":"activate","ok":true,"data":{"activationId":"c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4","licenseStatus":"licensed"},"error":null}"#),
                                     exitStatus: 0, expecting: activate)
        struct Activated: Decodable { let activationId: ActivationID; let licenseStatus: LicenseStatus }
        let a = try r.decode(Activated.self)
        #expect(a.licenseStatus == .licensed)
        #expect(r.agentVersion == "1.0.0")
    }

    @Test func windowsErrorCarriesCodeAndRemedy() {
        let data = reply(#"{"protocol":1,"agent":"1.0.0","verb":"activate","ok":false,"data":null,"error":{"code":"0xC004C008","text":"The activation server reported that the product key has exceeded its unlock limit."}}"#)
        do {
            _ = try AgentReply.parse(stdout: data, exitStatus: 1, expecting: activate)
            Issue.record("accepted an error reply")
        } catch {
            guard case .windows(let code, let windowsCode, _) = error else { Issue.record("\(error)"); return }
            #expect(code == "0xC004C008")
            #expect(windowsCode == WindowsErrorCode(0xC004C008))
            #expect(error.description.contains("more activations"))
        }
    }

    @Test func bootstrapRejection() {
        let data = reply(#"{"protocol":1,"agent":null,"verb":null,"ok":false,"data":null,"error":{"code":"hash","text":"agent script hash mismatch"}}"#)
        #expect(throws: AgentError.protocolRejected(code: "hash", text: "agent script hash mismatch")) {
            try AgentReply.parse(stdout: data, exitStatus: 2, expecting: activate)
        }
    }

    @Test(arguments: [
        "",
        "\u{00}\u{ff}garbage",
        #"{"protocol":1,"agent":"1.0.0","verb":"activate","ok":tr"#,
        #"{"protocol":2,"agent":"9","verb":"activate","ok":true,"data":null}"#,
        #"{"protocol":1,"agent":"1","verb":"collect","ok":true,"data":{}}"#,
        #"{"protocol":1,"agent":"1","verb":"activate"}"#,
        "'powershell.exe' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n",
        "[1, 2, 3]",
        // fuzz/crashes/agentreply/crash-d4ab6e97…: a scalar `data` made JSONSerialization trap
        #"{"protocol":1,"egent":1,"age~t":"1","verb":"activate","ok":true,"data":"1","verbr":{"code":"0xC004C00b","text":"x"}}"#,
        #"{"protocol":1,"agent":"1","verb":"activate","ok":true,"data":42}"#,
        #"{"protocol":1,"agent":"1","verb":"activate","ok":true,"data":true}"#,
    ])
    func unusableRepliesAreErrorsNotCrashes(_ text: String) {
        #expect(throws: AgentError.self) { try AgentReply.parse(stdout: Data(text.utf8), exitStatus: 1, expecting: activate) }
    }

    @Test func scalarDataIsMalformedNotATrap() {
        let text = #"{"protocol":1,"agent":"1","verb":"activate","ok":true,"data":"1"}"#
        #expect(throws: AgentError.malformedReply(preview: "'activate' reply's data is not an object or an array")) {
            try AgentReply.parse(stdout: Data(text.utf8), exitStatus: 0, expecting: activate)
        }
    }

    @Test func emptyIsNoReply() {
        #expect(throws: AgentError.noReply(exitStatus: 255)) { try AgentReply.parse(stdout: Data(), exitStatus: 255, expecting: activate) }
    }

    @Test func halfAReplyIsCutOff() {
        let half = Data(#"{"protocol":1,"agent":"1.0.0","verb":"activate","ok":tr"#.utf8)
        #expect(throws: AgentError.cutOff(bytes: half.count, exitStatus: nil)) { try AgentReply.parse(stdout: half, exitStatus: nil, expecting: activate) }
        #expect(throws: AgentError.cutOff(bytes: half.count, exitStatus: 0)) { try AgentReply.parse(stdout: half, exitStatus: 0, expecting: activate) }
        #expect(AgentError.cutOff(bytes: 12, exitStatus: nil).description.contains("without an exit status"))
        #expect(AgentError.cutOff(bytes: 12, exitStatus: 137).description.contains("killed by signal 9"))
        // A whole object that is not valid JSON is malformed, not cut off.
        #expect(throws: AgentError.malformedReply(preview: "{nope}")) { try AgentReply.parse(stdout: Data("{nope}".utf8), exitStatus: 0, expecting: activate) }
    }

    @Test func binaryOutputIsCountedNotEchoed() throws {
        var bytes = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        bytes[0] = 0
        do {
            _ = try AgentReply.parse(stdout: bytes, exitStatus: 0, expecting: activate)
            Issue.record("garbage parsed")
        } catch {
            #expect(error == .malformedReply(preview: "4096 bytes of binary data, not text"))
            #expect(!error.description.unicodeScalars.contains { $0.value < 0x20 })
        }
        // Text keeps its preview, also when the 256th byte cuts a character.
        let text = Data((String(repeating: "a", count: 255) + "é and more").utf8)
        do { _ = try AgentReply.parse(stdout: text, exitStatus: 0, expecting: activate) } catch {
            #expect(error == .malformedReply(preview: String(repeating: "a", count: 255)))
        }
    }
}

@Suite struct CollectedFactsTests {
    static let collect = AgentVerb.collect(esuActivationIds: [], windowsApplicationId: try! ActivationID("55c92734-d682-4d71-983e-d6ec3f16059f"))
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func envelope(_ data: [String: Any]) throws -> AgentReply {
        let object: [String: Any] = ["protocol": 1, "agent": "1.0.0", "verb": "collect", "ok": true, "data": data, "error": NSNull()]
        return try AgentReply.parse(stdout: JSONSerialization.data(withJSONObject: object), exitStatus: 0, expecting: Self.collect)
    }

    func sample() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("docs/examples/facts/guest-ja-year1.json"))
        var object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        object["host"] = "WIN-GUEST-07"
        object["collectedAt"] = "2026-01-15T18:00:05+09:00"
        object["licenseSource"] = "wmi"
        return object
    }

    @Test func inventoryNameAndControllerClockWin() throws {
        let now = try Timestamp("2026-01-15T09:00:00Z")
        let facts = try CollectedFacts.facts(from: envelope(sample()), host: "fs-ja01", collectedAt: now)
        #expect(facts.host == "fs-ja01")
        #expect(facts.collectedAt == now)
        #expect(facts.guestTime == (try Timestamp("2026-01-15T09:00:05Z")))
        #expect(facts.licenseSource == "wmi")
        #expect(facts.licenses.count == 4)
    }

    @Test func brokenWMIFallsBackOnTheSlmgrText() throws {
        var object = try sample()
        object["licenses"] = NSNull()
        object["licenseSource"] = "wmi-failed"
        let dlv = try String(contentsOf: Self.root.appendingPathComponent("Tests/ESUCoreTests/Fixtures/slmgr/ja-dlv-all.txt"), encoding: .utf8)
        object["evidence"] = ["slmgrDlv": dlv]
        let facts = try CollectedFacts.facts(from: envelope(object), host: "fs-ja01", collectedAt: Timestamp("2026-01-15T09:00:00Z"))
        #expect(facts.licenseSource == "slmgr")
        let year1 = try #require(facts.license(try ActivationID("c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")))
        #expect(year1.licenseStatus == SlmgrParser.parse(dlv).product(activationId: year1.activationId)?.licenseStatus)
    }

    @Test func brokenWMIWithoutSlmgrTextIsAnError() throws {
        var object = try sample()
        object["licenses"] = NSNull()
        object["evidence"] = ["slmgrDlv": NSNull()]
        #expect(throws: AgentError.self) { try CollectedFacts.facts(from: envelope(object), host: "x", collectedAt: Timestamp("2026-01-15T09:00:00Z")) }
    }

    @Test func malformedFactsNameTheField() throws {
        var object = try sample()
        var os = object["os"] as! [String: Any]
        os["version"] = "6.3"
        object["os"] = os
        do {
            _ = try CollectedFacts.facts(from: envelope(object), host: "x", collectedAt: Timestamp("2026-01-15T09:00:00Z"))
            Issue.record("accepted bad facts")
        } catch {
            #expect("\(error)".contains("os.version"))
        }
    }
}
