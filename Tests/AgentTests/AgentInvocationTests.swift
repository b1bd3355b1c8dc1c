import Agent
import Digest
import ESUCore
import Foundation
import Testing

/// Decodes what the controller sends the way Windows would, written here from the protocol page
/// rather than by calling the code under test.
enum Windows {
    static func decodeEncodedCommand(_ b64: String) -> String? {
        guard let data = Data(base64Encoded: b64), data.count % 2 == 0 else { return nil }
        let units = stride(from: 0, to: data.count, by: 2).map { UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8 }
        return String(utf16CodeUnits: units, count: units.count)
    }
}

@Suite struct AgentInvocationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let prefix = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "
    static let key = try! ProductKey("BBBBB-CCCCC-DDDDD-FFFFF-GH7K9")

    static let verbs: [AgentVerb] = [
        .collect(esuActivationIds: [try! ActivationID("c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")], windowsApplicationId: try! ActivationID("55c92734-d682-4d71-983e-d6ec3f16059f")),
        .installPackage(path: "esuctl-payloads\\windows8.1-kb5017220-x64.msu", sha256: String(repeating: "AB", count: 32), kb: try! KB("KB5017220")),
        .installKey(key),
        .activate(try! ActivationID("e3e2690b-931c-4c80-b1ff-dffba8a81988")),
        .restart(delaySeconds: 5, reason: "esuctl: ESU preparation package installed"),
        .installationId(try! ActivationID("c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")),
        .depositConfirmation(try! ActivationID("c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4"), try! ConfirmationID(String(repeating: "123456-", count: 7) + "654321")),
        .listGuests,
    ]

    @Test func listGuestsSendsNoArgumentsAndNoSecret() throws {
        let inv = AgentInvocation(.listGuests)
        let lines = String(decoding: inv.stdin, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(String(decoding: Data(base64Encoded: lines[2])!, as: UTF8.self) == #"{"args":{},"verb":"list-guests"}"#)
        #expect(inv.auditCommand.hasSuffix(", list-guests>"))
    }

    @Test func phoneActivationVerbs() throws {
        let id = try ActivationID("c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")
        let cid = try ConfirmationID(String(repeating: "123456 ", count: 7) + "654321")
        for (verb, name, line4) in [(AgentVerb.installationId(id), "installation-id", nil as String?),
                                    (.depositConfirmation(id, cid), "deposit-confirmation", String(repeating: "123456", count: 7) + "654321")] {
            let inv = AgentInvocation(verb)
            let lines = String(decoding: inv.stdin, as: UTF8.self).split(separator: "\n").map(String.init)
            let request = try #require(try JSONSerialization.jsonObject(with: Data(base64Encoded: lines[2])!) as? [String: Any])
            #expect(request["verb"] as? String == name)
            #expect(request["args"] as? [String: String] == ["activationId": id.value])
            #expect(lines.count == (line4 == nil ? 3 : 4))
            if let line4 { #expect(String(decoding: Data(base64Encoded: lines[3])!, as: UTF8.self) == line4) }
            // Nothing but the shared bootstrap on the command line.
            #expect(inv.commandLine == AgentInvocation(.activate(id)).commandLine)
            #expect(inv.auditCommand.contains(name))
        }
    }

    @Test func embeddedScriptsAreTheFilesInTheRepository() throws {
        let agent = try Data(contentsOf: Self.root.appendingPathComponent("agent-scripts/esuctl-agent.ps1"))
        #expect(AgentScripts.agent == agent)
        #expect(AgentScripts.agentSHA256 == SHA256.hex(agent))
        let bootstrap = try String(contentsOf: Self.root.appendingPathComponent("agent-scripts/bootstrap.ps1"), encoding: .utf8)
        #expect(AgentScripts.bootstrapTemplate == bootstrap)
    }

    @Test func bootstrapIsTheOneThePrococolPageDocuments() throws {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/agent-protocol.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "## 2. The bootstrap"))
        let open = try #require(doc.range(of: "```powershell\n", range: start.upperBound..<doc.endIndex))
        let close = try #require(doc.range(of: "```", range: open.upperBound..<doc.endIndex))
        #expect(String(doc[open.upperBound..<close.lowerBound]) == AgentScripts.bootstrapTemplate)
        #expect(AgentScripts.bootstrapTemplate.contains("@@SHA256@@"))
    }

    @Test(arguments: verbs)
    func commandLineFitsCmdAndCarriesOnlyTheBootstrap(_ verb: AgentVerb) throws {
        let inv = AgentInvocation(verb)
        #expect(inv.commandLine.hasPrefix(Self.prefix))
        #expect(inv.commandLine.count < 8191)
        let decoded = try #require(Windows.decodeEncodedCommand(String(inv.commandLine.dropFirst(Self.prefix.count))))
        let sha = SHA256.hex(AgentScripts.agent)
        #expect(decoded == AgentScripts.bootstrapTemplate.replacingOccurrences(of: "@@SHA256@@", with: sha))
        #expect(!decoded.contains("@@SHA256@@"))
        // The same command line for every verb: nothing request-specific can leak into it.
        #expect(inv.commandLine == AgentInvocation(.activate(try ActivationID("55b1dd2d-2209-4ea0-a805-06298bad25b3"))).commandLine)
    }

    @Test(arguments: verbs)
    func stdinFraming(_ verb: AgentVerb) throws {
        let inv = AgentInvocation(verb)
        let text = String(decoding: inv.stdin, as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "esuctl-agent 1")
        let script = try #require(Data(base64Encoded: lines[1]))
        #expect(script == AgentScripts.agent)
        let requestData = try #require(Data(base64Encoded: lines[2]))
        let request = try #require(try JSONSerialization.jsonObject(with: requestData) as? [String: Any])
        #expect(request["verb"] as? String == verb.name)
        #expect(request["args"] is [String: Any])
        if case .installKey = verb {
            #expect(lines.count == 4)
            #expect(String(decoding: try #require(Data(base64Encoded: lines[3])), as: UTF8.self) == Self.key.revealForStdin())
        } else if case .depositConfirmation(_, let cid) = verb {
            #expect(lines.count == 4)
            #expect(String(decoding: try #require(Data(base64Encoded: lines[3])), as: UTF8.self) == cid.digits)
        } else {
            #expect(lines.count == 3)
        }
    }

    @Test func keyAppearsOnlyInStdin() {
        let inv = AgentInvocation(.installKey(Self.key))
        let secret = Self.key.revealForStdin()
        for text in [inv.commandLine, inv.auditCommand, "\(inv.verb)", String(describing: inv)] {
            #expect(!text.contains(secret) && !text.contains("BBBBB-CCCCC"))
        }
        #expect(inv.auditCommand.contains("XXXXX-XXXXX-XXXXX-XXXXX-GH7K9"))
    }

    @Test func requestArguments() throws {
        let inv = AgentInvocation(Self.verbs[1])
        let line = String(decoding: inv.stdin, as: UTF8.self).split(separator: "\n")[2]
        let request = try JSONSerialization.jsonObject(with: Data(base64Encoded: String(line))!) as! [String: Any]
        let args = request["args"] as! [String: Any]
        #expect(args["kb"] as? String == "KB5017220")
        #expect(args["sha256"] as? String == String(repeating: "ab", count: 32))
        #expect(args["path"] as? String == "esuctl-payloads\\windows8.1-kb5017220-x64.msu")
    }
}

extension AgentVerb: CustomTestStringConvertible {
    public var testDescription: String { name }
}
