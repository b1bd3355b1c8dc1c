// Stand-ins for what the fuzzed sources reference but the parsers never reach: the catalog's
// resource bundle (SwiftPM generates `Bundle.module`) and the embedded agent scripts.
import Foundation

extension Bundle {
    static let module = Bundle.main
}

enum AgentScripts {
    static let agent = Data("param()".utf8)
    static let bootstrapTemplate = "@@SHA256@@"
    static let agentSHA256 = String(repeating: "0", count: 64)
    static let placeholder = "@@SHA256@@"
}
