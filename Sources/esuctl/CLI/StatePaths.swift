import Audit
import ESUCore
import Foundation

/// Where esuctl keeps what it learns: facts per host, the audit log, locks.
/// `--state-dir` wins, then `$XDG_STATE_HOME/esuctl`, then `~/.local/state/esuctl`.
struct StatePaths {
    let dir: URL
    let audit: URL

    init(stateDir: String?, audit: String?) {
        let env = ProcessInfo.processInfo.environment
        if let stateDir {
            dir = URL(fileURLWithPath: stateDir)
        } else if let xdg = env["XDG_STATE_HOME"], !xdg.isEmpty {
            dir = URL(fileURLWithPath: xdg).appendingPathComponent("esuctl")
        } else {
            dir = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/state/esuctl")
        }
        self.audit = audit.map { URL(fileURLWithPath: $0) } ?? dir.appendingPathComponent("audit.jsonl")
    }

    var factsDir: URL { dir.appendingPathComponent("facts") }

    /// The audit log, with product keys scrubbed from anything recorded in it.
    var auditLog: AuditLog { AuditLog(url: audit, redact: ProductKey.scrub) }

    func facts(host: String) -> URL { factsDir.appendingPathComponent("\(host).json") }

    /// Reads `--state-dir` and `--audit` from the command line.
    static func from(_ args: inout Arguments) throws(UsageError) -> StatePaths {
        StatePaths(stateDir: try args.option("--state-dir"), audit: try args.option("--audit"))
    }
}
