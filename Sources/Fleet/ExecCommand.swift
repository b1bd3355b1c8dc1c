import ESUCore
import Foundation
import Inventory
import SSHTransport

/// `esuctl exec -i INVENTORY [--limit P] [--parallel N] [--timeout S] [--json] -- COMMAND`
///
/// Runs an ad-hoc command on every selected host and reports each host's exit status and output.
/// Exit code: 0 when every host ran the command and it exited 0; 4 when any host failed or was
/// unreachable (esuctl's meaning of 4 everywhere); 2 for a usage, inventory or known_hosts problem
/// (nothing was run).
public struct ExecCommand: Sendable {
    public var inventoryPath = Inventory.defaultPath
    public var limit: String?
    public var parallel = 32
    /// Seconds per command; nil waits as long as the command runs.
    public var timeout: Double? = 600
    public var connectTimeout: Double = 10
    public var json = false
    public var knownHostsPath: String?
    public var hostKeyPolicy = HostKeyPolicy.strict
    public var askPass = false
    public var user: String?
    public var privateKeyFile: String?
    public var outputCap = ExecOptions.defaultOutputCap
    public var command: String = ""

    public static let usage = """
        usage: esuctl exec [-i INVENTORY] [--limit PATTERN] [--parallel N] [--timeout SECONDS] [--json]
                           [--known-hosts FILE] [--host-key-policy strict|accept-new] [--ask-pass]
                           [--user USER] [--private-key FILE] [--connect-timeout SECONDS]
                           [--output-cap BYTES] -- COMMAND...
        """

    public struct UsageError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { "\(message)\n\(ExecCommand.usage)" }
    }

    public init() {}

    /// Parses the arguments after `exec`.
    public static func parse(_ args: [String]) throws(UsageError) -> ExecCommand {
        var c = ExecCommand()
        var i = 0
        func value(_ flag: String) throws(UsageError) -> String {
            i += 1
            guard i < args.count else { throw UsageError(message: "\(flag) needs a value") }
            return args[i]
        }
        func number(_ flag: String) throws(UsageError) -> Double {
            let v = try value(flag)
            guard let d = Double(v), d > 0, d.isFinite else { throw UsageError(message: "\(flag) needs a positive number, got '\(v)'") }
            return d
        }
        while i < args.count {
            let a = args[i]
            switch a {
            case "--":
                c.command = args[(i + 1)...].joined(separator: " ")
                i = args.count
                continue
            case "-i", "--inventory": c.inventoryPath = try value(a)
            case "-l", "--limit": c.limit = try value(a)
            case "-f", "--parallel":
                let n = try number(a)
                guard n == n.rounded(), n <= 1024 else { throw UsageError(message: "--parallel needs a whole number from 1 to 1024") }
                c.parallel = Int(n)
            case "--timeout": c.timeout = try number(a)
            case "--connect-timeout": c.connectTimeout = try number(a)
            case "--json": c.json = true
            case "--known-hosts": c.knownHostsPath = try value(a)
            case "--host-key-policy":
                let v = try value(a)
                guard let p = HostKeyPolicy(rawValue: v) else {
                    throw UsageError(message: "--host-key-policy must be strict or accept-new, got '\(v)'")
                }
                c.hostKeyPolicy = p
            case "--ask-pass": c.askPass = true
            case "-u", "--user": c.user = try value(a)
            case "--private-key": c.privateKeyFile = try value(a)
            case "--output-cap": c.outputCap = Int(try number(a))
            case "--password", "-k":
                throw UsageError(message: "passwords are never taken on the command line; set ESUCTL_SSH_PASSWORD or use --ask-pass")
            default:
                throw UsageError(message: "unknown option '\(a)' (put the remote command after --)")
            }
            i += 1
        }
        guard !c.command.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw UsageError(message: "no command given; put it after --")
        }
        return c
    }

    /// One host's outcome, as printed and as JSON.
    public struct HostReport: Sendable, Equatable {
        public var host: String
        public var ok: Bool
        public var exitCode: Int32?
        public var stdout: String
        public var stderr: String
        public var error: String?
        /// The command ran to an end (exit or signal); false when connecting, auth or the timeout stopped it.
        public var ran: Bool
    }

    /// Runs the command everywhere. `write(text, toStderr)` receives all output.
    public func run(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        interactive: Bool = true,
        write: @escaping (String, Bool) -> Void
    ) -> Int32 {
        let hosts: [InventoryHost]
        let store: KnownHostsStore
        do throws(InventoryError) {
            hosts = try Inventory.load(path: inventoryPath).select(limit)
        } catch {
            write("esuctl exec: \(error)\n", true)
            return 2
        }
        do throws(SSHError) {
            store = try KnownHostsStore(path: knownHostsPath ?? KnownHostsStore.defaultPath)
        } catch {
            write("esuctl exec: \(error)\n", true)
            return 2
        }
        var password = environment["ESUCTL_SSH_PASSWORD"].map(Secret.init)
        if askPass {
            guard interactive, let p = SecretSource.promptNoEcho("SSH password: ") else {
                write("esuctl exec: --ask-pass needs a terminal to read the password from (or set ESUCTL_SSH_PASSWORD)\n", true)
                return 2
            }
            password = p
        }
        let cache = PassphraseCache(environment: environment, interactive: interactive)
        var options = FleetOptions(
            connect: ConnectOptions(knownHosts: store, hostKeyPolicy: hostKeyPolicy, connectTimeout: connectTimeout),
            parallel: parallel, defaultUser: user ?? environment["USER"],
            defaultKeyFiles: privateKeyFile.map { [$0] }, password: password,
            passphrase: { cache.passphrase(forKey: $0) })
        if environment["SSH_AUTH_SOCK"].map({ !$0.isEmpty }) ?? false { options.useAgent = true }
        let targets = hosts.map(FleetTarget.init)
        let exec = ExecOptions(timeout: timeout, outputCap: outputCap)
        let cmd = command
        let results = FleetRunner(options: options).runBlocking(targets) { (s, _) throws(SSHError) in try s.exec(cmd, options: exec) }
        let reports = zip(targets, results).map { ExecCommand.report($0.name, $1) }
        write(json ? ExecCommand.renderJSON(reports) : ExecCommand.renderText(reports), false)
        return reports.allSatisfy(\.ok) ? 0 : 4
    }

    static func report(_ host: String, _ r: Result<ExecResult, SSHError>) -> HostReport {
        switch r {
        case .failure(let e):
            return HostReport(host: host, ok: false, exitCode: nil, stdout: "", stderr: "", error: e.description, ran: false)
        case .success(let x):
            var notes: [String] = []
            if case .signaled(let s) = x.status { notes.append("killed by signal SIG\(s)") }
            if x.stdoutTruncated { notes.append("stdout truncated: kept \(x.stdout.count) of \(x.stdoutBytes) bytes (--output-cap)") }
            if x.stderrTruncated { notes.append("stderr truncated: kept \(x.stderr.count) of \(x.stderrBytes) bytes (--output-cap)") }
            return HostReport(
                host: host, ok: x.exitCode == 0, exitCode: x.exitCode,
                // Windows consoles print in their OEM code page (cp932 on Japanese guests), or UTF-16.
                stdout: WindowsText.decode(x.stdout), stderr: WindowsText.decode(x.stderr),
                error: notes.isEmpty ? nil : notes.joined(separator: "; "), ran: true)
        }
    }

    static func renderJSON(_ reports: [HostReport]) -> String {
        let array: [[String: Any]] = reports.map {
            [
                "host": $0.host, "ok": $0.ok, "exitCode": $0.exitCode.map { Int($0) as Any } ?? NSNull(),
                "stdout": $0.stdout, "stderr": $0.stderr, "error": $0.error.map { $0 as Any } ?? NSNull(),
            ]
        }
        let data = (try? JSONSerialization.data(withJSONObject: array, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func renderText(_ reports: [HostReport]) -> String {
        var out = ""
        for r in reports {
            let state: String
            if let code = r.exitCode { state = r.ok ? "ok (exit 0)" : "FAILED (exit \(code))" }
            else if r.ran { state = "FAILED" }
            else { state = "NOT RUN: \(r.error ?? "unknown error")" }
            out += "==> \(r.host): \(state)\n"
            if r.ran {
                out += r.stdout
                if !r.stdout.isEmpty && !r.stdout.hasSuffix("\n") { out += "\n" }
                for line in r.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast(r.stderr.hasSuffix("\n") ? 1 : 0) where !r.stderr.isEmpty {
                    out += "[stderr] \(line)\n"
                }
                if let e = r.error { out += "[note] \(e)\n" }
            }
        }
        let ok = reports.filter(\.ok).count
        let notRun = reports.filter { !$0.ran }.count
        out += "\(reports.count) host\(reports.count == 1 ? "" : "s"): \(ok) ok, \(reports.count - ok - notRun) failed, \(notRun) not run (unreachable, refused or timed out)\n"
        return out
    }
}

/// Entry point for `esuctl exec ARGS...`: parses, runs, prints to stdout/stderr, returns the exit code.
public func runExec(arguments: [String]) -> Int32 {
    let command: ExecCommand
    do throws(ExecCommand.UsageError) {
        command = try ExecCommand.parse(arguments)
    } catch {
        FileHandle.standardError.write(Data("esuctl exec: \(error)\n".utf8))
        return 2
    }
    return command.run(interactive: isatty(0) == 1 || isatty(2) == 1) { text, toStderr in
        (toStderr ? FileHandle.standardError : FileHandle.standardOutput).write(Data(text.utf8))
    }
}
