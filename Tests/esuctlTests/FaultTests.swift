import Foundation
import Testing

/// Faults one guest among healthy ones and checks that esuctl names the fault, finishes the others,
/// and keeps the audit log whole. Each case is a fresh 4-guest lab of its own (own sshd ports, own
/// state directory, nothing shared), so cases may run side by side; guest002 is the faulted one.
@Suite struct FleetFaultTests {
    static let faulted = "guest002"
    static let healthy = ["guest001", "guest003", "guest004"]

    // MARK: - Helpers

    func lab(restartSeconds: Int = 1) throws -> LabFleet {
        try LabFleet(scenario: "fresh", guests: 4, restartSeconds: restartSeconds)
    }

    func changeArgs(_ lab: LabFleet, restartTimeout: Int = 20) -> [String] {
        ["--yes", "--allow-restart", "--keys", lab.dir.appendingPathComponent("esu-keys").path,
         "--payloads", lab.dir.appendingPathComponent("payloads").path, "--now", "2026-01-15",
         "--timeout", "5", "--restart-timeout", String(restartTimeout)]
    }

    func sync(_ lab: LabFleet, restartTimeout: Int = 20, extra: [String] = []) throws -> ESUCtlRun {
        try lab.esuctl(["sync"] + changeArgs(lab, restartTimeout: restartTimeout) + extra)
    }

    var stateDir: (LabFleet) -> URL { { $0.base.appendingPathComponent("state") } }

    /// The sync table's line for a host (no terminal: reasons are not cut).
    func line(_ run: ESUCtlRun, _ host: String) -> String {
        run.stdout.split(separator: "\n").first { $0.hasPrefix(host + " ") }.map(String.init) ?? "(no line for \(host) in:\n\(run.stdout))"
    }

    func statusRows(_ lab: LabFleet, limit: [String]) throws -> [String: [String: Any]] {
        let run = try lab.esuctl(["status", "--json", "--now", "2026-01-15", "--timeout", "5", "--limit", limit.joined(separator: ",")])
        let array = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: array.map { ($0["host"] as! String, $0) })
    }

    /// The healthy guests are compliant with all three years, by a fresh collect.
    func expectHealthyCompliant(_ lab: LabFleet, hosts: [String] = FleetFaultTests.healthy, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try statusRows(lab, limit: hosts)
        for host in hosts {
            #expect(rows[host]?["state"] as? String == "compliant", "\(host): \(rows[host]?["reason"] ?? "no row")", sourceLocation: sourceLocation)
            #expect(rows[host]?["esuYears"] as? [String] == ["1 (MAK)", "2 (MAK)", "3 (MAK)"], "\(host)", sourceLocation: sourceLocation)
        }
    }

    func records(_ lab: LabFleet) throws -> [[String: Any]] {
        let url = stateDir(lab).appendingPathComponent("audit.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// No lost record: every step intent has its result in the same run, and the chain verifies.
    func expectAuditWhole(_ lab: LabFleet, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let all = try records(lab)
        #expect(!all.isEmpty, "no audit records", sourceLocation: sourceLocation)
        var open: [String: Int] = [:]
        for r in all {
            let key = "\(r["runId"] ?? "")|\(r["host"] ?? "")|\(r["step"] ?? "")"
            switch r["event"] as? String {
            case "step.intent": open[key, default: 0] += 1
            case "step.result": open[key, default: 0] -= 1
            default: break
            }
        }
        for (key, n) in open where n != 0 { Issue.record("intent without result (or the reverse): \(key) (\(n))", sourceLocation: sourceLocation) }
        for e in ["sync.started", "run.finished"] {
            #expect(all.contains { $0["event"] as? String == e }, "no \(e) record", sourceLocation: sourceLocation)
        }
        let verify = try ESUCtl.run(["audit", "verify", "--state-dir", stateDir(lab).path])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)", sourceLocation: sourceLocation)
    }

    /// "ok" results per host and step; a change done twice shows as a count above one. Uploads
    /// (copying a file again changes nothing) and restarts are not counted.
    func expectNothingDoneTwice(_ lab: LabFleet, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var counts: [String: Int] = [:]
        for r in try records(lab) where r["event"] as? String == "step.result" && r["detail"] as? String == "ok" {
            let step = r["step"] as? String ?? ""
            if step.hasPrefix("upload ") || step.hasPrefix("restart") { continue }
            counts["\(r["host"] ?? "") \(step)", default: 0] += 1
        }
        #expect(!counts.isEmpty, sourceLocation: sourceLocation)
        for (key, n) in counts where n > 1 { Issue.record("done \(n) times: \(key)", sourceLocation: sourceLocation) }
    }

    func guestStates(_ lab: LabFleet) throws -> [String: Data] {
        let guests = lab.dir.appendingPathComponent("guests")
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: guests.path) {
            out[name] = try Data(contentsOf: guests.appendingPathComponent("\(name)/state.json"))
        }
        return out
    }

    func inventory(_ lab: LabFleet) -> URL { lab.dir.appendingPathComponent("inventory.ini") }

    /// Rewrites the faulted guest's inventory line.
    func editHostLine(_ lab: LabFleet, _ change: (String) -> String) throws {
        let text = try String(contentsOf: inventory(lab), encoding: .utf8)
        var found = false
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.hasPrefix(Self.faulted + " ") else { return String(line) }
            found = true
            return change(String(line))
        }
        #expect(found)
        try Data(lines.joined(separator: "\n").utf8).write(to: inventory(lab))
    }

    func port(of host: String, _ lab: LabFleet) throws -> String {
        let text = try String(contentsOf: inventory(lab), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(host + " ") })
        return try #require(line.split(separator: " ").first { $0.hasPrefix("ansible_port=") }).split(separator: "=")[1].description
    }

    /// A loopback port the kernel just handed out and that nothing listens on.
    func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        #expect(ok)
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func sshKeygen(_ path: URL) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/ssh-keygen")
        p.arguments = ["-q", "-t", "ed25519", "-N", "", "-C", "fault-test", "-f", path.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    /// The common ending: the faulted guest's line carries `state` and `reason`, the others are
    /// compliant, the audit log is whole.
    func expectFaultReported(_ lab: LabFleet, _ run: ESUCtlRun, state: String, reason: String?,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let l = line(run, Self.faulted)
        #expect(l.contains("  \(state)  "), "\(l)\n\(run.stderr)", sourceLocation: sourceLocation)
        if let reason { #expect(l.contains(reason), "\(l)", sourceLocation: sourceLocation) }
        #expect(run.status != 0, sourceLocation: sourceLocation)
        #expect(run.stdout.contains("3 compliant"), "\(run.stdout)", sourceLocation: sourceLocation)
        try expectHealthyCompliant(lab, sourceLocation: sourceLocation)
        try expectAuditWhole(lab, sourceLocation: sourceLocation)
    }

    // MARK: - Connection faults

    @Test func unreachableHost() throws {
        let lab = try lab()
        let closed = try closedPort()
        try editHostLine(lab) { $0.replacingOccurrences(of: #"ansible_port=\d+"#, with: "ansible_port=\(closed)", options: .regularExpression) }
        let run = try sync(lab)
        try expectFaultReported(lab, run, state: "unreachable", reason: "connection to port \(closed) refused")
        #expect(run.status == 4)
    }

    @Test func hostKeyChanged() throws {
        let lab = try lab()
        let other = lab.base.appendingPathComponent("other_host_key")
        try sshKeygen(other)
        let pub = try String(contentsOf: other.appendingPathExtension("pub"), encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let port = try port(of: Self.faulted, lab)
        let kh = lab.dir.appendingPathComponent("known_hosts")
        let text = try String(contentsOf: kh, encoding: .utf8)
        let replaced = text.split(separator: "\n").map { $0.hasPrefix("[127.0.0.1]:\(port) ") ? "[127.0.0.1]:\(port) \(pub)" : String($0) }
        #expect(replaced.joined(separator: "\n") != text.trimmingCharacters(in: .newlines))
        try Data((replaced.joined(separator: "\n") + "\n").utf8).write(to: kh)
        let before = try guestStates(lab)[Self.faulted]
        let run = try sync(lab)
        try expectFaultReported(lab, run, state: "unreachable", reason: "REMOTE HOST IDENTIFICATION HAS CHANGED")
        #expect(try guestStates(lab)[Self.faulted] == before, "a guest with a changed host key was touched")
        // strict policy: the known_hosts line stays as the operator wrote it
        #expect(try String(contentsOf: kh, encoding: .utf8).contains("[127.0.0.1]:\(port) \(pub)"))
    }

    @Test func authenticationRefused() throws {
        let lab = try lab()
        let unknown = lab.base.appendingPathComponent("unknown_key")
        try sshKeygen(unknown)
        try editHostLine(lab) { $0 + " ansible_ssh_private_key_file=\(unknown.path)" }
        let run = try sync(lab)
        try expectFaultReported(lab, run, state: "unreachable", reason: "authentication as")
        #expect(line(run, Self.faulted).contains(unknown.path), "the key tried is not named: \(line(run, Self.faulted))")
    }

    // MARK: - Output faults

    @Test func commandHangs() throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["hang=true"])
        let run = try sync(lab)
        try expectFaultReported(lab, run, state: "failed", reason: "did not finish within 5 s")
    }

    @Test func connectionDroppedMidOutput() throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["dropMidOutput=true"])
        let run = try sync(lab)
        try expectFaultReported(lab, run, state: "failed", reason: "the reply was cut off after")
        // The simulator's agent SIGKILLs itself; its login shell reports 128+9.
        #expect(line(run, Self.faulted).contains("killed by signal 9") || line(run, Self.faulted).contains("without an exit status"))
    }

    @Test func garbageBytes() throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["garbage=true"])
        let run = try sync(lab)
        try expectFaultReported(lab, run, state: "failed", reason: "4096 bytes of binary data, not text")
        #expect(!run.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "raw garbage reached the report")
    }

    @Test func agentJSONTruncated() throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["truncateJSON=true"])
        let run = try sync(lab)
        try expectFaultReported(lab, run, state: "failed", reason: "the reply was cut off after")
        #expect(line(run, Self.faulted).contains("(exit status 0)"))
    }

    /// 200 MB before the reply: reported, and the controller's memory stays bounded.
    @Test func hugeOutput() throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["hugeOutputBytes=209715200"])
        let spawned = try SpawnWithRusage.run(ESUCtl.binary.path, ["sync"] + changeArgs(lab) + lab.common)
        let run = spawned.run
        try expectFaultReported(lab, run, state: "failed", reason: nil)
        let l = line(run, Self.faulted)
        // Either all 200 MB were read (and said so) or the 5 s timeout stopped it first on a busy machine.
        #expect(l.contains("the guest wrote 209") || l.contains("did not finish within 5 s"), "\(l)")
        #expect(spawned.maxRSSBytes > 0 && spawned.maxRSSBytes < 300 << 20, "peak RSS \(spawned.maxRSSBytes >> 20) MiB")
        // The audit keeps a head and a digest, not the 200 MB.
        let size = try FileManager.default.attributesOfItem(atPath: stateDir(lab).appendingPathComponent("audit.jsonl").path)[.size] as? Int ?? 0
        #expect(size < 8 << 20, "audit log is \(size) bytes")
    }

    // MARK: - Windows-side faults

    @Test func wmiBrokenStillConverges() throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["wmiBroken=true"])
        let run = try sync(lab)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("4 compliant"), "\(run.stdout)")
        try expectHealthyCompliant(lab, hosts: Self.healthy + [Self.faulted])
        let facts = try JSONSerialization.jsonObject(with: Data(contentsOf: stateDir(lab).appendingPathComponent("facts/\(Self.faulted).json"))) as? [String: Any]
        #expect(facts?["licenseSource"] as? String == "slmgr")
        try expectAuditWhole(lab)
    }

    @Test(arguments: [("0xC004C003", "get a replacement key"), ("0xC004F069", "is a Windows Server 2012/2012 R2 ESU key"),
                       ("0xC004C020", "request more activations")])
    func activationError(code: String, remedy: String) throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["activationError=\(code)"])
        let run = try sync(lab)
        try expectFaultReported(lab, run, state: "blocked", reason: code)
        let l = line(run, Self.faulted)
        #expect(l.contains(remedy), "\(l)")
        // The keys went in before activation failed, and activation was tried once.
        let activations = try records(lab).filter { $0["host"] as? String == Self.faulted && $0["event"] as? String == "step.result"
            && ($0["step"] as? String ?? "").hasPrefix("activate") }
        #expect(activations.count == 1, "\(activations.count) activation results")
        #expect(activations.first?["windowsCode"] as? String == code.uppercased().replacingOccurrences(of: "0X", with: "0x"))
    }

    @Test func dismFailure() throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["dismFailure=0x800F0922"])
        let run = try sync(lab)
        // The operator's to fix (disk space, a damaged component store): blocked, with the code.
        try expectFaultReported(lab, run, state: "blocked", reason: "0x800F0922: A processing error occurred while installing the package")
    }

    @Test func restartNeverComesBack() throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["downForever=true"])
        let run = try sync(lab, restartTimeout: 10)
        try expectFaultReported(lab, run, state: "unreachable", reason: "did not come back")
        #expect(try records(lab).contains { $0["event"] as? String == "restart.timeout" && $0["host"] as? String == Self.faulted })
    }

    // MARK: - Controller-side faults

    @Test func auditLogUnwritable() throws {
        let lab = try lab()
        let file = lab.base.appendingPathComponent("not-a-dir")
        try Data("x".utf8).write(to: file)
        let before = try guestStates(lab)
        let run = try sync(lab, extra: ["--audit", file.appendingPathComponent("audit.jsonl").path])
        #expect(run.status != 0 && run.status != 4, "\(run.status) \(run.stderr)")
        #expect(run.stderr.contains(file.path), "\(run.stderr)")
        #expect(try guestStates(lab) == before, "a guest changed although nothing could be audited")
    }

    @Test func twoSyncsAtOnce() throws {
        let lab = try lab()
        let args = ["sync"] + changeArgs(lab) + lab.common
        let runs = try [0, 1].map { _ -> Process in
            let p = Process()
            p.executableURL = ESUCtl.binary
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        for p in runs { p.waitUntilExit() }
        // Both finished; each host was worked on by one of them (the other reports it busy).
        for p in runs { #expect(p.terminationReason == .exit && [0, 4].contains(p.terminationStatus), "\(p.terminationStatus)") }
        try expectHealthyCompliant(lab, hosts: Self.healthy + [Self.faulted])
        try expectNothingDoneTwice(lab)
        try expectAuditWhole(lab)
        #expect(try records(lab).filter { $0["event"] as? String == "sync.started" }.count == 2)
        // Neither run took the other's live intents for a dead run's.
        #expect(try !records(lab).contains { $0["event"] as? String == "intent.unresolved" })
    }

    /// A second sync that starts while the first is inside a step (slow guest: the intent is open
    /// for seconds) must not take that live intent for one a dead run left behind.
    @Test func secondSyncStartedMidStep() throws {
        let lab = try lab()
        try lab.setGuest(Self.faulted, ["slowSeconds=3"])
        var args = ["sync"] + changeArgs(lab) + lab.common
        args[args.firstIndex(of: "--timeout")! + 1] = "30"
        func start() throws -> Process {
            let p = Process()
            p.executableURL = ESUCtl.binary
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        let first = try start()
        let deadline = Date().addingTimeInterval(60)
        var open = false
        while !open, first.isRunning, Date() < deadline {
            open = try records(lab).contains { $0["event"] as? String == "step.intent" && $0["host"] as? String == Self.faulted }
            if !open { usleep(5_000) }
        }
        #expect(open, "the first sync never started a step on the slow guest")
        let second = try start()
        second.waitUntilExit()
        try lab.setGuest(Self.faulted, ["slowSeconds=none"]) // the rest at normal speed
        first.waitUntilExit()
        #expect(first.terminationStatus == 0 && [0, 4].contains(second.terminationStatus), "\(first.terminationStatus) \(second.terminationStatus)")
        #expect(try !records(lab).contains { $0["event"] as? String == "intent.unresolved" }, "a live run's intent was reported as unfinished")
        try expectNothingDoneTwice(lab)
        try expectAuditWhole(lab)
    }

    /// SIGKILL when the audit log first shows `event` for `stepPrefix`, then sync again.
    @Test(arguments: [("step.intent", "install servicing stack"), ("step.intent", "install ESU licensing preparation"),
                      ("step.result", "restart"), ("step.intent", "install the ESU Year 2 key")])
    func killedThenNextSyncConverges(event: String, stepPrefix: String) throws {
        let lab = try lab()
        let p = Process()
        p.executableURL = ESUCtl.binary
        p.arguments = ["sync"] + changeArgs(lab) + lab.common
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        var seen = false
        while !seen, p.isRunning, Date() < deadline {
            seen = try records(lab).contains { $0["event"] as? String == event && ($0["step"] as? String ?? "").hasPrefix(stepPrefix) }
            if !seen { usleep(2_000) }
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(seen, "never saw \(event) \(stepPrefix)")
        #expect(p.terminationReason == .uncaughtSignal, "the run ended before it could be killed")

        let next = try sync(lab)
        #expect(next.status == 0, "\(next.stdout)\n\(next.stderr)")
        try expectHealthyCompliant(lab, hosts: Self.healthy + [Self.faulted])
        try expectNothingDoneTwice(lab)
        let verify = try ESUCtl.run(["audit", "verify", "--state-dir", stateDir(lab).path])
        #expect(verify.status == 0, "\(verify.stdout)")
        // Killed with an intent open: the next run reported it. (Killed after a restart's result,
        // another host may or may not have had an intent open at that instant: not asserted.)
        if event == "step.intent" {
            #expect(try records(lab).contains { $0["event"] as? String == "intent.unresolved" })
        }
    }
}

/// Runs a program with posix_spawn and reaps it with wait4, for its own resource usage (peak RSS).
enum SpawnWithRusage {
    struct Result { let run: ESUCtlRun; let maxRSSBytes: Int }

    static func run(_ path: String, _ args: [String]) throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let run = ESUCtlRun(status: code, stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        return Result(run: run, maxRSSBytes: usage.ru_maxrss * 1024)
    }
}
