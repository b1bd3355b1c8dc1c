import Digest
import Foundation

/// The PowerShell that runs on the guest, as embedded in this binary at build time.
public enum AgentScripts {
    /// `agent-scripts/esuctl-agent.ps1`, byte for byte.
    public static let agent = Data(base64Encoded: EmbeddedAgentScripts.agent)!

    /// `agent-scripts/bootstrap.ps1`, with `@@SHA256@@` where the agent's hash goes.
    public static let bootstrapTemplate = String(decoding: Data(base64Encoded: EmbeddedAgentScripts.bootstrap)!, as: UTF8.self)

    /// The agent's SHA-256, which the bootstrap checks before running anything it received.
    public static let agentSHA256 = SHA256.hex(agent)

    public static let placeholder = "@@SHA256@@"
}
