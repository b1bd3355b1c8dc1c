import Foundation
import Testing

/// Runs the built `esuctl-guest` binary as sshd would, and builds agent requests the way
/// docs/agent-protocol.md describes them — independently of the simulator's own code.
enum Harness {
    /// The executable beside the test bundle: walk up from this process's executable.
    static let binary: String = {
        var dir = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("esuctl-guest").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "/tmp/build-guest/debug/esuctl-guest"
    }()

    struct Run {
        var stdout: [UInt8]
        var stderr: [UInt8]
        var status: Int32
        var signaled: Bool
        var text: String { String(decoding: stdout, as: UTF8.self) }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(stdout))) as? [String: Any] }
    }

    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "guestsim-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Runs the binary with `args`, `SSH_ORIGINAL_COMMAND` = `command`, optional stdin and clock.
    @discardableResult
    static func run(_ args: [String], command: String? = nil, stdin: [UInt8] = [], now: String? = nil,
                    timeout: TimeInterval = 20, env extra: [String: String] = [:]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["SSH_ORIGINAL_COMMAND"] = command
        if let now { env["ESUCTL_SIM_NOW"] = now } else { env["ESUCTL_SIM_NOW"] = nil }
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let dir = tempDir()
        let outPath = dir + "/out", errPath = dir + "/err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        let inPipe = Pipe()
        p.standardInput = inPipe
        try p.run()
        inPipe.fileHandleForWriting.write(Data(stdin))
        try inPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit(); throw TimedOut() }
        p.waitUntilExit()
        let r = Run(stdout: [UInt8](FileManager.default.contents(atPath: outPath) ?? Data()),
                    stderr: [UInt8](FileManager.default.contents(atPath: errPath) ?? Data()),
                    status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal)
        try? FileManager.default.removeItem(atPath: dir)
        return r
    }
    struct TimedOut: Error {}

    // MARK: the agent exec, per the protocol page

    static let bootstrap = """
    $ErrorActionPreference = 'Stop'
    $l = @($input | ForEach-Object { [string]$_ })
    function Fail($c, $t) { $b = [Text.Encoding]::UTF8.GetBytes('{"protocol":1,"agent":null,"verb":null,"ok":false,"data":null,"error":{"code":"' + $c + '","text":"' + $t + '"}}'); $o = [Console]::OpenStandardOutput(); $o.Write($b, 0, $b.Length); $o.Flush(); exit 2 }
    if ($l.Count -lt 3 -or $l[0] -ne 'esuctl-agent 1') { Fail 'protocol' 'stdin does not start with esuctl-agent 1' }
    $s = [Convert]::FromBase64String($l[1])
    $h = -join ([Security.Cryptography.SHA256]::Create().ComputeHash($s) | ForEach-Object { $_.ToString('x2') })
    if ($h -ne '@@SHA256@@') { Fail 'hash' 'agent script hash mismatch' }
    $a = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($l[2]))
    $k = $null; if ($l.Count -gt 3 -and $l[3]) { $k = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($l[3])) }
    & ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString($s))) $a $k
    """

    static let agentScript = Array("param($RequestJson, $Secret)\n# stand-in for agent-scripts/esuctl-agent.ps1\n".utf8)

    /// SHA-256 by the system's `sha256sum`, so the test does not trust the simulator's own hash.
    static func sha256(_ bytes: [UInt8]) -> String {
        let dir = tempDir(); defer { try? FileManager.default.removeItem(atPath: dir) }
        let f = dir + "/blob"
        FileManager.default.createFile(atPath: f, contents: Data(bytes))
        return sha256(file: f)
    }

    static func sha256(file: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [file]
        let pipe = Pipe(); p.standardOutput = pipe
        try! p.run()
        let d = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: d, as: UTF8.self).prefix(64))
    }

    static func execCommand(hash: String) -> String {
        let text = bootstrap.replacingOccurrences(of: "@@SHA256@@", with: hash)
        var le: [UInt8] = []
        for u in text.utf16 { le.append(UInt8(u & 0xFF)); le.append(UInt8(u >> 8)) }
        return "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + Data(le).base64EncodedString()
    }

    static var agentCommand: String { execCommand(hash: sha256(agentScript)) }

    static func stdin(verb: String, args: [String: Any] = [:], secret: String? = nil, script: [UInt8] = agentScript,
                      magic: String = "esuctl-agent 1", crlf: Bool = false) -> [UInt8] {
        let req = try! JSONSerialization.data(withJSONObject: ["verb": verb, "args": args])
        var lines = [magic, Data(script).base64EncodedString(), req.base64EncodedString()]
        if let secret { lines.append(Data(secret.utf8).base64EncodedString()) }
        let nl = crlf ? "\r\n" : "\n"
        return Array(lines.map { $0 + nl }.joined().utf8)
    }
}

/// A lab directory with one guest.
struct Lab {
    let dir: String
    let guest: String

    init(profile: String, guest: String = "guest01", keyHashes: [(Int, String)] = [], restartSeconds: Int = 1,
         lang: String? = nil) throws {
        dir = Harness.tempDir()
        self.guest = guest
        var args = ["init", "--lab", dir, "--guest", guest, "--profile", profile, "--restart-seconds", String(restartSeconds)]
        for (y, h) in keyHashes { args += ["--key-hash", "\(y):\(h)"] }
        if let lang { args += ["--lang", lang] }
        let r = try Harness.run(args)
        #expect(r.status == 0, "init failed: \(String(decoding: r.stderr, as: UTF8.self))")
    }

    var home: String { dir + "/guests/\(guest)/fs/Users/Administrator" }
    var stateFile: String { dir + "/guests/\(guest)/state.json" }

    func set(_ kv: String...) throws {
        let r = try Harness.run(["set", "--lab", dir, "--guest", guest] + kv)
        #expect(r.status == 0, "set failed: \(String(decoding: r.stderr, as: UTF8.self))")
    }

    @discardableResult
    func agent(_ verb: String, _ args: [String: Any] = [:], secret: String? = nil, now: String? = nil) throws -> Harness.Run {
        try Harness.run(["--lab", dir, "--guest", guest], command: Harness.agentCommand,
                        stdin: Harness.stdin(verb: verb, args: args, secret: secret), now: now)
    }

    @discardableResult
    func raw(_ command: String, now: String? = nil) throws -> Harness.Run {
        try Harness.run(["--lab", dir, "--guest", guest], command: command, now: now)
    }

    func state() -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: stateFile)!)) as? [String: Any] ?? [:]
    }
}
