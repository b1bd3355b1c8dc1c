import ESUCore
import Foundation

/// Remembers a step that failed with an error whose remedy is the operator's (an exhausted or
/// blocked MAK), so that later runs do not repeat it against an unchanged host — repeated
/// activation attempts with an exhausted key help nobody.
struct BlockedStep {
    struct Memo: Codable, Equatable {
        let step: String
        let code: String
        let message: String
        let time: String
        let inputs: DecisionInputs
    }

    let url: URL

    init(stateDir: URL, host: String) {
        url = stateDir.appendingPathComponent("blocked/\(host).json")
    }

    func load() -> Memo? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(Memo.self, from: data)
    }

    func save(_ memo: Memo) {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? JSONEncoder().encode(memo).write(to: url, options: .atomic)
    }

    func clear() { try? FileManager.default.removeItem(at: url) }
}
