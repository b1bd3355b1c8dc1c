import ESUCore
import Foundation

/// One run of the agent on a guest: the exec command line and the bytes for its stdin.
/// Built only from typed values; nothing from an inventory is pasted into the command line.
public struct AgentInvocation: Sendable {
    public static let protocolVersion = 1
    public static let magic = "esuctl-agent 1"

    /// cmd.exe refuses longer command lines; OpenSSH for Windows runs exec requests through it.
    public static let commandLineLimit = 8191

    public let verb: AgentVerb
    /// What the exec request carries: the same for every verb and host.
    public let commandLine: String
    /// The request and (for `install-key`) the key. Contains the secret: never log it.
    public let stdin: Data
    /// The command line as the audit log records it (it holds no secret, by construction).
    public var auditCommand: String { "\(commandLine) <stdin: agent \(AgentScripts.agentSHA256.prefix(12)), \(verb.name)\(verb.carriesSecret ? ", key \(verb.maskedSecret ?? "")" : "")>" }

    public init(_ verb: AgentVerb) {
        self.verb = verb
        commandLine = AgentInvocation.sharedCommandLine
        var lines = [AgentInvocation.magic, AgentScripts.agent.base64EncodedString(),
                     Data(verb.requestJSON.utf8).base64EncodedString()]
        if let secret = verb.secretForStdin { lines.append(Data(secret.utf8).base64EncodedString()) }
        stdin = Data((lines.joined(separator: "\n") + "\n").utf8)
    }

    static let sharedCommandLine: String = {
        let bootstrap = AgentScripts.bootstrapTemplate.replacingOccurrences(of: AgentScripts.placeholder, with: AgentScripts.agentSHA256)
        return "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + encodedCommand(bootstrap)
    }()

    /// PowerShell's -EncodedCommand: base64 of UTF-16LE, no BOM.
    public static func encodedCommand(_ script: String) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(script.utf16.count * 2)
        for unit in script.utf16 { bytes.append(UInt8(unit & 0xFF)); bytes.append(UInt8(unit >> 8)) }
        return Data(bytes).base64EncodedString()
    }
}

/// What the agent is asked to do (docs/agent-protocol.md, section 5).
public enum AgentVerb: Sendable {
    case collect(esuActivationIds: [ActivationID], windowsApplicationId: ActivationID)
    case installPackage(path: String, sha256: String, kb: KB)
    case installKey(ProductKey)
    case activate(ActivationID)
    case restart(delaySeconds: Int, reason: String)

    public var name: String {
        switch self {
        case .collect: "collect"
        case .installPackage: "install-package"
        case .installKey: "install-key"
        case .activate: "activate"
        case .restart: "restart"
        }
    }

    var carriesSecret: Bool { if case .installKey = self { true } else { false } }
    var maskedSecret: String? { if case .installKey(let key) = self { key.masked } else { nil } }
    var secretForStdin: String? { if case .installKey(let key) = self { key.revealForStdin() } else { nil } }

    /// `{"verb": ..., "args": {...}}`, compact and key-sorted so the same request is the same bytes.
    var requestJSON: String {
        let args: [String: Any]
        switch self {
        case .collect(let ids, let app):
            args = ["esuActivationIds": ids.map(\.value), "windowsApplicationId": app.value]
        case .installPackage(let path, let sha, let kb):
            args = ["path": path, "sha256": sha.lowercased(), "kb": kb.description]
        case .installKey:
            args = [:]
        case .activate(let id):
            args = ["activationId": id.value]
        case .restart(let delay, let reason):
            args = ["delaySeconds": delay, "reason": reason]
        }
        let data = try! JSONSerialization.data(withJSONObject: ["verb": name, "args": args], options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
