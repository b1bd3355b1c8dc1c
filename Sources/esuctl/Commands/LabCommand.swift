import Foundation
import Lab

/// `esuctl lab up|down`: a simulated fleet on loopback for the demo, the tests and the benchmarks.
enum LabCommand: Command {
    static let name = "lab"
    static let summary = "Start or stop a local simulated fleet of Windows guests (for demos and tests)"
    static let help = """
    Usage: esuctl lab up --dir DIR [--scenario mixed|fresh] [--guests N] [--restart-seconds N]
           esuctl lab down --dir DIR

    `up` starts simulated Windows guests behind real OpenSSH sshd processes listening on 127.0.0.1
    only, and writes everything the other commands need into DIR:
      DIR/inventory.ini   the fleet, Ansible INI format
      DIR/known_hosts     the guests' host keys
      DIR/id_ed25519      the client key the inventory names
      DIR/esu-keys        ESU keys for years 1-3 that the guests accept (mode 0600)
      DIR/payloads/       stand-in .msu files for the SSUs and preparation packages, with SHA256SUMS
    Guest state lives in DIR/guests/NAME/state.json; docs/guest-simulator.md tells how to change a
    guest's state or inject faults by hand. `down` stops the sshd processes and removes those files.

    Scenarios:
      mixed   the 2019 Hyper-V host; 2012 R2 guests at every stage (nothing installed, SSU only,
              restart pending, key installed, licensed, Japanese, Azure Arc); a 2012 guest; one
              whose MAK is exhausted; one unreachable (default)
      fresh   --guests N identical unpatched 2012 R2 guests (default 10), for scale

    Options:
      --dir DIR              The lab directory (created if missing). Required.
      --scenario NAME        mixed or fresh.
      --guests N             Number of guests for the fresh scenario.
      --restart-seconds N    How long a simulated restart keeps a guest down (default 3).
      -h, --help             Show this help.

    Example: esuctl lab up --dir /tmp/esuctl-lab --scenario fresh --guests 50

    When run as root, the simulated sessions log in as the system user esuctl-lab (created if
    missing), whose shell is /bin/sh; DIR must then be reachable by that user.
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        guard let verb = args.popWord() else { throw UsageError.missing("subcommand: up or down") }
        guard let dirText = try args.option("--dir") else { throw UsageError.missing("--dir DIR") }
        let dir = URL(fileURLWithPath: dirText)
        switch verb {
        case "up":
            let scenarioText = try args.option("--scenario") ?? "mixed"
            let guestsText = try args.option("--guests")
            let restartText = try args.option("--restart-seconds") ?? "3"
            try args.finish()
            guard let scenario = Scenario(rawValue: scenarioText) else {
                throw UsageError.invalidValue(option: "--scenario", problem: "'\(scenarioText)' is not a scenario; use mixed or fresh")
            }
            let guests = try guestsText.map { text throws(UsageError) -> Int in
                guard let n = Int(text), (1...5000).contains(n) else {
                    throw .invalidValue(option: "--guests", problem: "'\(text)' is not a number of guests from 1 to 5000")
                }
                return n
            }
            guard let restart = Int(restartText), (0...3600).contains(restart) else {
                throw UsageError.invalidValue(option: "--restart-seconds", problem: "'\(restartText)' is not a number of seconds from 0 to 3600")
            }
            let state = try Lab.up(.init(dir: dir, scenario: scenario, guests: guests, restartSeconds: restart,
                                         guestBinary: guestBinary()),
                                   progress: { Terminal.err("lab: \($0)") })
            let path = dir.standardizedFileURL.path
            Terminal.out("""
            lab up: \(state.guests.count) hosts (scenario \(state.scenario)) in \(path)
              inventory    \(path)/inventory.ini
              known_hosts  \(path)/known_hosts
              ESU keys     \(path)/esu-keys
              payloads     \(path)/payloads
            stop it with: esuctl lab down --dir \(path)
            """)
        case "down":
            try args.finish()
            try Lab.down(dir: dir)
            Terminal.out("lab down: stopped and removed \(dir.standardizedFileURL.path)")
        default:
            throw UsageError.unknownCommand("lab \(verb)")
        }
        return .ok
    }

    /// The simulator sits beside esuctl in the build directory; ESUCTL_GUEST overrides.
    static func guestBinary() -> URL {
        if let path = ProcessInfo.processInfo.environment["ESUCTL_GUEST"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("esuctl-guest")
    }
}
