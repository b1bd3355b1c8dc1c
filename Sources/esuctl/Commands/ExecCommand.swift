import Audit
import Fleet
import Foundation

/// `esuctl exec`: the operator's escape hatch, an ad-hoc command on every selected host.
enum ExecShellCommand: Command {
    static let name = "exec"
    static let summary = "Run an ad-hoc command on every selected host (like ansible -m raw)"
    static let help = """
    Usage: esuctl exec -i INVENTORY [--limit P] [--parallel N] [--timeout S] [--json] -- COMMAND

    Runs COMMAND on every selected host (through cmd.exe on Windows guests) and prints each host's
    exit status and output; --json gives [{"host","ok","exitCode","stdout","stderr","error"}],
    where ok means the command ran and exited 0. Output in the guest's code page (cp932 on Japanese
    guests) is decoded. Exit status 0 only when every host succeeded, 4 otherwise, 2 usage error.

    Options:
      -i FILE                  Ansible INI inventory (default inventory/hosts.ini).
      --limit PATTERN          Only these hosts: names, groups, globs.
      --parallel N             Hosts at once (default 32).
      --timeout SECONDS        Per-command timeout (default 600).
      --connect-timeout S      TCP and SSH handshake timeout (default 10).
      --json                   JSON output.
      --known-hosts FILE       known_hosts (default ~/.ssh/known_hosts).
      --host-key-policy P      strict (default) or accept-new.
      --user USER              Login user when the inventory names none.
      --private-key FILE       Key file when the inventory names none.
      --ask-pass               Prompt for the SSH password (no echo); or set ESUCTL_SSH_PASSWORD.
      --output-cap BYTES       Output kept per stream and host (default 4 MiB).
      --state-dir DIR          esuctl's state directory (for the audit log).
      --audit FILE             The audit log; the command (with any product key masked) and the
                               outcome are recorded there before and after it runs.
      -h, --help               Show this help.

    Example: esuctl exec -i hosts.ini --limit web01 -- cscript //nologo %windir%\\system32\\slmgr.vbs /dli
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        let paths = try StatePaths.from(&args)
        let rest = args.remaining
        let audit = paths.auditLog
        try audit.ensureWritable()
        let runId = FleetOptions.newRunId()
        let command = rest.firstIndex(of: "--").map { rest[($0 + 1)...].joined(separator: " ") } ?? ""
        try audit.append(AuditEvent(runId: runId, event: "exec.started", command: command,
                                    detail: rest.prefix { $0 != "--" }.joined(separator: " ")))
        let status = runExec(arguments: rest)
        try audit.append(AuditEvent(runId: runId, event: "exec.finished", exitCode: status))
        return ExitStatus(rawValue: status) ?? .failure
    }
}
