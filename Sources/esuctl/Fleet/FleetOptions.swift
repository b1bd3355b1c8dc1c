import Audit
import ESUCore
import Fleet
import Foundation
import Inventory
import Orchestration
import SSHTransport

/// The options every command that reaches hosts shares, read once and turned into what the
/// orchestration needs. Secrets come from files and the environment, never from the command line.
struct FleetOptions {
    var inventoryPath: String
    var limit: String?
    var shard: Shard?
    var parallel: Int
    var knownHosts: String?
    var hostKeyPolicy: HostKeyPolicy
    var paths: StatePaths
    var timeout: Double
    var connectTimeout: Double
    var now: CalendarDay
    var catalogPath: String?
    var keysPath: String?
    var keyYears: String?
    var payloadsPath: String?
    var allowRestart: Bool
    var restartTimeout: Double
    var askPass: Bool
    /// Days ahead within which `status` warns that ESU coverage ends (`--expiry-horizon`).
    var expiryHorizon: Int = Expiry.defaultHorizon

    static let help = """
    Hosts:
      -i, --inventory FILE      Ansible INI inventory (default: inventory/hosts.ini).
      --limit PATTERN           Only these hosts: names, groups, globs; comma-separated.
      --shard K/N               Only this controller's slice of the selection (see docs/scale-out.md).
      --parallel N              Hosts worked on at once (default 32).
      --known-hosts FILE        known_hosts to verify host keys against (default ~/.ssh/known_hosts).
      --host-key-policy P       strict (default: unknown or changed keys are refused) or accept-new.
      --timeout SECONDS         Per-command timeout (default 300).
      --connect-timeout SECONDS TCP and SSH handshake timeout (default 10).
    State:
      --state-dir DIR           esuctl's state (default $XDG_STATE_HOME/esuctl or ~/.local/state/esuctl).
      --audit FILE              The audit log (default STATE_DIR/audit.jsonl).
    Decisions:
      --now DATE                Decide as of this day (YYYY-MM-DD); default today (UTC).
      --catalog FILE            Use this catalog instead of the built-in one.
      --keys FILE               ESU keys file (`yearN = KEY`, mode 0600); or ESUCTL_ESU_KEY_YEAR1..3.
      --key-years LIST          Without keys: the years to check for (default: every year in the catalog).
      --ask-pass                Prompt (no echo) for the SSH password.
      -h, --help                Show this help.
    SSH login: the inventory's ansible_user and ansible_ssh_private_key_file, else the current user
    and ~/.ssh/id_*; ssh-agent when SSH_AUTH_SOCK is set; a password from ESUCTL_SSH_PASSWORD or
    --ask-pass, a key passphrase from ESUCTL_KEY_PASSPHRASE or a prompt — never from the command line.
    """

    /// Reads the shared options; the command reads its own before or after.
    static func parse(_ args: inout Arguments) throws -> FleetOptions {
        let inventory = try args.option("-i", "--inventory") ?? Inventory.defaultPath
        let limit = try args.option("--limit")
        let shard = try args.option("--shard").map { text throws(UsageError) -> Shard in
            do throws(Shard.ParseError) { return try Shard(text) } catch { throw .invalidValue(option: "--shard", problem: error.description) }
        }
        let parallelText = try args.option("--parallel") ?? "32"
        guard let parallel = Int(parallelText), (1...1000).contains(parallel) else {
            throw UsageError.invalidValue(option: "--parallel", problem: "'\(parallelText)' is not a number from 1 to 1000")
        }
        let policyText = try args.option("--host-key-policy") ?? "strict"
        guard let policy = HostKeyPolicy(rawValue: policyText) else {
            throw UsageError.invalidValue(option: "--host-key-policy", problem: "'\(policyText)' is not strict or accept-new")
        }
        return FleetOptions(
            inventoryPath: inventory, limit: limit, shard: shard, parallel: parallel, knownHosts: try args.option("--known-hosts"),
            hostKeyPolicy: policy, paths: try StatePaths.from(&args),
            timeout: try seconds(args.option("--timeout"), default: 300, option: "--timeout"),
            connectTimeout: try seconds(args.option("--connect-timeout"), default: 10, option: "--connect-timeout"),
            now: try DecideCommand.parseNow(args.option("--now")),
            catalogPath: try args.option("--catalog"), keysPath: try args.option("--keys"),
            keyYears: try args.option("--key-years"), payloadsPath: try args.option("--payloads"),
            allowRestart: args.flag("--allow-restart"),
            restartTimeout: try seconds(args.option("--restart-timeout"), default: 900, option: "--restart-timeout"),
            askPass: args.flag("--ask-pass"))
    }

    static func seconds(_ text: String?, default value: Double, option: String) throws(UsageError) -> Double {
        guard let text else { return value }
        var t = Substring(text)
        var scale = 1.0
        if t.hasSuffix("m") { scale = 60; t = t.dropLast() } else if t.hasSuffix("s") { t = t.dropLast() }
        guard let n = Double(t), n > 0, n <= 86400 else {
            throw .invalidValue(option: option, problem: "'\(text)' is not a duration such as 30, 90s or 15m")
        }
        return n * scale
    }

    /// A span of days: `60d` or `60`, from 0 to 3650.
    static func days(_ text: String, option: String) throws(UsageError) -> Int {
        let digits = text.hasSuffix("d") ? String(text.dropLast()) : text
        guard let n = Int(digits), (0...3650).contains(n) else {
            throw .invalidValue(option: option, problem: "'\(text)' is not a number of days such as 60d")
        }
        return n
    }

    /// The selected hosts, in inventory order.
    func targets() throws -> [TargetHost] {
        let inventory = try Inventory.load(path: inventoryPath)
        return try inventory.select(limit).filter { shard?.contains($0.name) ?? true }.map { h in
            TargetHost(name: h.name, address: h.address, port: h.port ?? 22, user: h.user, keyFile: h.privateKeyFile.map(expandTilde),
                       isHypervisorHost: h.variables["esu_role"] == "hyperv-host" || h.groups.contains { $0.lowercased().contains("hyperv") })
        }
    }

    /// Ansible inventories write key paths as `~/.ssh/...`.
    func expandTilde(_ path: String) -> String {
        guard path.hasPrefix("~/") else { return path }
        return FileManager.default.homeDirectoryForCurrentUser.path + path.dropFirst(1)
    }

    func catalog() throws -> Catalog { try Input.catalog(catalogPath) }

    /// The keys, validated before any host is touched. A keys file others can read is refused.
    func keys() throws -> [ESUYear: ProductKey] {
        if let keysPath {
            let attrs = try? FileManager.default.attributesOfItem(atPath: keysPath)
            guard let attrs else { throw InputError.unreadable(path: keysPath, reason: "no such file") }
            if let mode = attrs[.posixPermissions] as? Int, mode & 0o077 != 0 {
                throw KeysFileError.tooOpen(path: keysPath, mode: mode)
            }
            let text = String(decoding: try Input.read(keysPath), as: UTF8.self)
            return try KeysFile.parse(text, file: keysPath)
        }
        return try KeysFile.fromEnvironment(ProcessInfo.processInfo.environment)
    }

    func payloads() throws -> (URL, PayloadManifest)? {
        guard let payloadsPath else { return nil }
        let dir = URL(fileURLWithPath: payloadsPath)
        let manifest = dir.appendingPathComponent("SHA256SUMS")
        return (dir, try PayloadManifest.parse(String(decoding: try Input.read(manifest.path), as: UTF8.self)))
    }

    func connector(for hosts: [TargetHost]) throws -> SSHGuestConnector {
        let store = try KnownHostsStore(path: knownHosts ?? KnownHostsStore.defaultPath)
        let env = ProcessInfo.processInfo.environment
        var password = env["ESUCTL_SSH_PASSWORD"].flatMap { $0.isEmpty ? nil : Secret($0) }
        if askPass {
            guard let typed = SecretSource.promptNoEcho("SSH password: ") else {
                throw UsageError.invalidValue(option: "--ask-pass", problem: "no terminal to read the password from; set ESUCTL_SSH_PASSWORD instead")
            }
            password = typed
        }
        let passphrases = PassphraseCache(environment: env, interactive: isatty(STDIN_FILENO) == 1)
        return SSHGuestConnector(
            hosts: Dictionary(hosts.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }),
            options: ConnectOptions(knownHosts: store, hostKeyPolicy: hostKeyPolicy, connectTimeout: connectTimeout),
            defaultUser: env["USER"] ?? NSUserName(),
            password: password, passphrases: passphrases,
            useAgent: !(env["SSH_AUTH_SOCK"] ?? "").isEmpty)
    }

    /// - Parameter change: for sync, plan and apply (dry runs included, so that they predict the
    ///   real run): decisions aim at exactly the years there are keys for.
    func settings(runId: String, catalog: Catalog, keys: [ESUYear: ProductKey], dryRun: Bool, change: Bool,
                  approved: [String: [Step]]? = nil) throws -> RunSettings {
        let years: Set<ESUYear>
        if change || !keys.isEmpty {
            years = Set(keys.keys)
        } else {
            years = try keyYears.map { try DecideCommand.parseKeyYears($0) } ?? Set(catalog.years.map(\.year))
        }
        let payload = try payloads()
        return RunSettings(runId: runId, catalog: catalog, keys: keys, keyYears: years, payloadDir: payload?.0,
                           manifest: payload?.1, today: now, allowRestart: allowRestart, dryRun: dryRun,
                           commandTimeout: timeout, restartTimeout: restartTimeout, stateDir: paths.dir, approvedSteps: approved)
    }

    static func newRunId() -> String { UUID().uuidString.lowercased() }
}

/// A keys file esuctl will not read.
enum KeysFileError: Error, CustomStringConvertible {
    /// Group or others can read it.
    case tooOpen(path: String, mode: Int)

    var description: String {
        switch self {
        case .tooOpen(let path, let mode):
            return "\(path) is readable by others (mode \(String(mode, radix: 8))); ESU keys are secrets: run `chmod 600 \(path)`"
        }
    }
}
