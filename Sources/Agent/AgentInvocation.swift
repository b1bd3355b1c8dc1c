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
    public var auditCommand: String {
        var extra = ""
        if verb.carriesSecret { extra = ", key \(verb.maskedSecret ?? "")" }
        if case .depositConfirmation(let id, let cid) = verb { extra = ", \(id.value), confirmation ID \(cid)" }
        if case .installationId(let id) = verb { extra = ", \(id.value)" }
        return "\(commandLine) <stdin: agent \(AgentScripts.agentSHA256.prefix(12)), \(verb.name)\(extra)>"
    }

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
    /// `SoftwareLicensingProduct.OfflineInstallationId` (what `slmgr /dti` shows) for phone activation.
    case installationId(ActivationID)
    /// `DepositOfflineConfirmationId` with the phone activation's answer (sent on stdin line 4).
    case depositConfirmation(ActivationID, ConfirmationID)
    /// On a Hyper-V host: its VMs (`root\\virtualization\\v2`) with their KVP guest items.
    case listGuests

    public var name: String {
        switch self {
        case .collect: "collect"
        case .installPackage: "install-package"
        case .installKey: "install-key"
        case .activate: "activate"
        case .restart: "restart"
        case .installationId: "installation-id"
        case .depositConfirmation: "deposit-confirmation"
        case .listGuests: "list-guests"
        }
    }

    var carriesSecret: Bool { if case .installKey = self { true } else { false } }
    var maskedSecret: String? { if case .installKey(let key) = self { key.masked } else { nil } }
    /// Stdin line 4: the product key, or the confirmation ID (not a secret, but kept off command lines alike).
    var secretForStdin: String? {
        switch self {
        case .installKey(let key): key.revealForStdin()
        case .depositConfirmation(_, let cid): cid.digits
        default: nil
        }
    }

    /// `{"verb": ..., "args": {...}}`, compact and key-sorted so the same request is the same bytes.
    var requestJSON: String {
        let args: [String: Any]
        switch self {
        case .collect(let ids, let app):
            args = ["esuActivationIds": ids.map(\.value), "windowsApplicationId": app.value]
        case .installPackage(let path, let sha, let kb):
            args = ["path": path, "sha256": sha.lowercased(), "kb": kb.description]
        case .installKey, .listGuests:
            args = [:]
        case .activate(let id), .installationId(let id), .depositConfirmation(let id, _):
            args = ["activationId": id.value]
        case .restart(let delay, let reason):
            args = ["delaySeconds": delay, "reason": reason]
        }
        let data = try! JSONSerialization.data(withJSONObject: ["verb": name, "args": args], options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}
