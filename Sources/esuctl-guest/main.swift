import Foundation

// esuctl-guest: a simulated Windows Server guest that sshd runs for each session (ForceCommand).
//   esuctl-guest [serve] --lab LABDIR [--guest NAME]
//   esuctl-guest init --lab LABDIR --guest NAME --profile PROFILE [--key-hash YEAR:SHA256HEX ...]
//                     [--restart-seconds N] [--lang en-US|ja-JP] [--computer-name NAME]
//   esuctl-guest set  --lab LABDIR --guest NAME KEY=VALUE...
//   esuctl-guest show --lab LABDIR --guest NAME
//   esuctl-guest confirmation-id INSTALLATION_ID
// See docs/guest-simulator.md.

func die(_ msg: String, _ code: Int32 = 64) -> Never {
    FileHandle.standardError.write(Data("esuctl-guest: \(msg)\n".utf8))
    exit(code)
}

struct Options {
    var sub = "serve"
    var lab: String?
    var guest: String?
    var profile: String?
    var keyHashes: [(Int, String)] = []
    var restartSeconds = 60
    var lang: String?
    var computerName: String?
    var assignments: [String] = []

    init(_ argv: [String]) {
        var a = argv[...]
        if let f = a.first, ["serve", "init", "set", "show"].contains(f) { sub = f; a = a.dropFirst() }
        func value(_ name: String) -> String {
            guard let v = a.popFirst() else { die("\(name) needs a value") }
            return v
        }
        while let arg = a.popFirst() {
            switch arg {
            case "--lab": lab = value(arg)
            case "--guest": guest = value(arg)
            case "--profile": profile = value(arg)
            case "--restart-seconds":
                guard let n = Int(value(arg)), n >= 0 else { die("--restart-seconds needs a whole number of seconds") }
                restartSeconds = n
            case "--lang": lang = value(arg)
            case "--computer-name": computerName = value(arg)
            case "--key-hash":
                let v = value(arg).split(separator: ":", maxSplits: 1).map(String.init)
                guard v.count == 2, let y = Int(v[0]), (1...3).contains(y), Hex.isLowerHex64(v[1].lowercased()) else {
                    die("--key-hash takes YEAR:SHA256HEX (year 1-3, 64 hex digits)")
                }
                keyHashes.append((y, v[1].lowercased()))
            default:
                if sub == "set", arg.contains("=") { assignments.append(arg) } else { die("unexpected argument '\(arg)'") }
            }
        }
    }
}

// A parent may have left signals blocked (Foundation's Process passes its thread's mask on);
// a guest must die of SIGTERM/SIGINT like any process, so start with none blocked.
var emptyMask = sigset_t()
sigemptyset(&emptyMask)
sigprocmask(SIG_SETMASK, &emptyMask, nil)

// `esuctl-guest confirmation-id IID`: the lab's stand-in for Microsoft's phone activation.
if CommandLine.arguments.dropFirst().first == "confirmation-id" {
    let iid = CommandLine.arguments.dropFirst(2).joined().filter { $0 != " " && $0 != "-" }
    guard iid.count == 63, iid.allSatisfy({ $0.isASCII && $0.isNumber }) else { die("confirmation-id takes the 63-digit installation ID") }
    let cid = Array(Licensing.confirmationID(for: iid))
    Out.write(Data((stride(from: 0, to: 48, by: 6).map { String(cid[$0..<$0 + 6]) }.joined(separator: "-") + "\n").utf8))
    exit(0)
}

let opts = Options(Array(CommandLine.arguments.dropFirst()))
guard let lab = opts.lab else { die("--lab LABDIR is required") }

switch opts.sub {
case "init":
    guard let name = opts.guest, let profile = opts.profile else { die("init needs --guest and --profile") }
    guard var state = Profiles.make(profile, now: Clock.now(), keyHashes: opts.keyHashes,
                                    restartSeconds: opts.restartSeconds, lang: opts.lang) else {
        die("unknown profile '\(profile)'; profiles: \(Profiles.names.joined(separator: ", "))")
    }
    state.os.computerName = opts.computerName ?? name.uppercased()
    let paths = GuestPaths(lab: lab, name: name)
    do {
        try FileManager.default.createDirectory(atPath: paths.home, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: paths.fsRoot + "/Windows/System32", withIntermediateDirectories: true)
        try StateStore.write(state, to: paths)
    } catch { die("\(error)", 1) }
    exit(0)

case "set":
    guard let name = opts.guest else { die("set needs --guest") }
    do {
        try StateStore.update(GuestPaths(lab: lab, name: name)) { s -> (Void, Bool) in
            for a in opts.assignments { try Settings.apply(a, to: &s) }
            return ((), true)
        }
    } catch { die("\(error)", 1) }
    exit(0)

case "show":
    guard let name = opts.guest else { die("show needs --guest") }
    guard let d = FileManager.default.contents(atPath: GuestPaths(lab: lab, name: name).stateFile) else { die("no such guest", 1) }
    Out.write(d)
    exit(0)

default:
    Serve.run(lab: lab, guest: opts.guest)
}
