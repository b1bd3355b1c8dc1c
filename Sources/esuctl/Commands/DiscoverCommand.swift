import Agent
import Audit
import ESUCore
import Foundation
import Inventory
import Orchestration

/// `esuctl discover`: asks a Hyper-V host which VMs it runs and which of them need ESU.
enum DiscoverCommand: Command {
    static let name = "discover"
    static let summary = "List a Hyper-V host's VMs, mark the 2012 / 2012 R2 ones, optionally add them to an inventory"
    static let help = """
    Usage: esuctl discover --hyperv-host HOST [-i INVENTORY] [--write FILE] [--json] [options]

    Runs the agent's `list-guests` on HOST (an inventory host name, reached over SSH like every
    other command), which reads the host's virtual machines (root\\virtualization\\v2
    Msvm_ComputerSystem) and what each one's KVP integration service reports (OS name and version,
    FQDN, IPv4 addresses). Windows Server 2012 R2 (6.3.9600) and 2012 (6.2.9200) guests are marked
    ESU-eligible, versions still in support as not needing ESU (the catalog decides); a VM that is
    off or has no KVP data is listed with an unknown OS, never dropped. The host itself is the first
    row. The run is recorded in the audit log.
    Exit status 0 listed; 4 the host is unreachable or its agent failed; 1 the inventory file
    cannot be written; 2 usage error.

      --hyperv-host HOST    The Hyper-V host to ask (an inventory host name; required).
      --write FILE          Append `name ansible_host=IPv4` lines under `[esu_guests]` for the
                            eligible guests that report an IPv4 address. An existing file is never
                            rewritten: lines are appended, names it already holds are skipped.
      --json                {"host": {...}, "guests": [{"name","power","osName","osVersion","fqdn",
                            "ipv4","eligibility","catalogName"}], "written": [names]}; eligibility is
                            eligible, notNeeded, unsupported or unknown.

    Examples:
      esuctl discover -i hosts.ini --hyperv-host hv01
      esuctl discover -i hosts.ini --hyperv-host hv01 --write hosts.ini

    \(FleetOptions.help)
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        guard let hostName = try args.option("--hyperv-host") else { throw UsageError.missing("--hyperv-host HOST") }
        let writePath = try args.option("--write")
        let json = args.flag("--json")
        var options = try FleetOptions.parse(&args)
        try args.finish()
        guard options.limit == nil else {
            throw UsageError.invalidValue(option: "--limit", problem: "discover asks one host: name it with --hyperv-host")
        }
        if let writePath { try checkWritable(writePath) }
        guard try Inventory.load(path: options.inventoryPath).hosts.contains(where: { $0.name == hostName }) else {
            throw UsageError.invalidValue(option: "--hyperv-host", problem: "'\(hostName)' is not a host in \(options.inventoryPath)")
        }
        options.limit = hostName
        options.shard = nil
        let targets = try options.targets()
        guard targets.count == 1, let target = targets.first, target.name == hostName else {
            throw UsageError.invalidValue(option: "--hyperv-host", problem: "'\(hostName)' is not one host of \(options.inventoryPath)")
        }
        let catalog = try options.catalog()
        let audit = options.paths.auditLog
        try audit.ensureWritable()
        let runId = FleetOptions.newRunId()
        let invocation = AgentInvocation(.listGuests)
        try audit.append(AuditEvent(runId: runId, host: target.name, event: "discover.started", command: invocation.auditCommand,
                                    detail: "list the VMs of Hyper-V host \(target.name)"))
        let list: GuestList
        do {
            list = try listGuests(target: target, options: options, invocation: invocation)
        } catch let error as DiscoverError {
            try audit.append(AuditEvent(runId: runId, host: target.name, event: "run.finished", windowsCode: error.windowsCode,
                                        detail: "failed: \(error)"))
            Terminal.err("esuctl discover: \(error)")
            return .blocked
        }
        let hostRow = Discovery.host(name: target.name, osName: list.host.osName, osVersion: list.host.osVersion, catalog: catalog)
        let guests = list.guests.map {
            Discovery.classify(name: $0.name, enabledState: $0.enabledState, items: $0.itemMap, catalog: catalog)
        }
        var written: [String] = []
        if let writePath { written = try append(guests, to: writePath) }
        let eligible = guests.filter { $0.eligibility == .eligible }.count
        try audit.append(AuditEvent(runId: runId, host: target.name, event: "run.finished",
                                    detail: "listed \(guests.count) VMs, \(eligible) ESU-eligible"
                                        + (writePath.map { "; appended \(written.count) to \($0)" } ?? "")))
        if json {
            var object: [String: Any] = ["host": record(hostRow, computerName: list.host.computerName), "guests": guests.map { record($0) }]
            object["written"] = writePath == nil ? NSNull() : written
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            Terminal.out(String(decoding: data, as: UTF8.self))
        } else {
            Terminal.out(table(host: hostRow, guests: guests))
            if let writePath {
                Terminal.out(written.isEmpty ? "\(writePath): nothing to add" : "\(writePath): appended \(written.joined(separator: ", "))")
            }
        }
        return .ok
    }

    static func listGuests(target: TargetHost, options: FleetOptions, invocation: AgentInvocation) throws -> GuestList {
        let session: GuestSession
        let output: RemoteOutput
        do {
            session = try options.connector(for: [target]).connect(target.name)
        } catch { throw DiscoverError.unreachable(host: target.name, reason: "\(error)") }
        defer { session.close() }
        do {
            output = try session.run(invocation.commandLine, stdin: invocation.stdin, timeout: options.timeout)
        } catch { throw DiscoverError.unreachable(host: target.name, reason: "\(error)") }
        do {
            let reply = try AgentReply.parse(stdout: output.stdout, exitStatus: output.exitStatus, expecting: .listGuests)
            return try reply.decode(GuestList.self)
        } catch {
            var code: String? = nil
            if case .windows(let c, _, _) = error { code = c }
            if code?.uppercased() == "0X8004100E" { throw DiscoverError.notHyperV(host: target.name) }
            throw DiscoverError.agent(host: target.name, reason: error.description, windowsCode: code)
        }
    }

    static func checkWritable(_ path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let fm = FileManager.default
        if fm.fileExists(atPath: path) {
            guard fm.isWritableFile(atPath: path) else { throw InputError.unwritable(path: path, reason: "permission denied") }
        } else {
            guard fm.isWritableFile(atPath: dir.isEmpty ? "." : dir) else {
                throw InputError.unwritable(path: path, reason: "its directory does not exist or is not writable")
            }
        }
    }

    /// Appends (never rewrites) the eligible guests not yet in the file; returns the names added.
    static func append(_ guests: [DiscoveredGuest], to path: String) throws -> [String] {
        let existing: String
        if FileManager.default.fileExists(atPath: path) {
            existing = String(decoding: try Input.read(path), as: UTF8.self)
        } else {
            existing = ""
        }
        let (text, added) = Discovery.inventoryAppendix(guests, existing: existing)
        guard !text.isEmpty else { return [] }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw InputError.unwritable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw InputError.unwritable(path: path, reason: String(cString: strerror(errno)))
            }
            off += n
        }
        guard fsync(fd) == 0 else { throw InputError.unwritable(path: path, reason: String(cString: strerror(errno))) }
        return added
    }

    static func record(_ g: DiscoveredGuest, computerName: String? = nil) -> [String: Any] {
        var r: [String: Any] = ["name": g.name, "power": g.power.rawValue, "eligibility": g.eligibility.rawValue]
        func put(_ key: String, _ value: String?) { r[key] = value ?? NSNull() }
        put("osName", g.osName); put("osVersion", g.osVersion); put("fqdn", g.fqdn); put("ipv4", g.ipv4)
        put("catalogName", g.catalogName)
        if let computerName { r["computerName"] = computerName }
        return r
    }

    static func eligibilityText(_ e: DiscoveredGuest.Eligibility) -> String {
        switch e {
        case .eligible: "ESU-eligible"
        case .notNeeded: "no ESU needed"
        case .unsupported: "not supported by esuctl"
        case .unknown: "unknown (off or no KVP data)"
        }
    }

    static func table(host: DiscoveredGuest, guests: [DiscoveredGuest]) -> String {
        let header = ["NAME", "POWER", "OS", "VERSION", "IPV4", "ESU"]
        let rows = [[host.name + " (host)", host.power.rawValue, host.osName ?? "?", host.osVersion ?? "?", "-", eligibilityText(host.eligibility)]]
            + guests.map { [$0.name, $0.power.rawValue, $0.osName ?? "unknown", $0.osVersion ?? "?", $0.ipv4 ?? "-", eligibilityText($0.eligibility)] }
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        let eligible = guests.filter { $0.eligibility == .eligible }.count
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
            + "\n\(guests.count) VMs on \(host.name), \(eligible) ESU-eligible."
    }
}

/// Why discover got no VM list.
enum DiscoverError: Error, CustomStringConvertible {
    case unreachable(host: String, reason: String)
    case notHyperV(host: String)
    case agent(host: String, reason: String, windowsCode: String?)

    var windowsCode: String? {
        switch self {
        case .agent(_, _, let code): code
        case .notHyperV: "0x8004100E"
        case .unreachable: nil
        }
    }

    var description: String {
        switch self {
        case .unreachable(let host, let reason): "cannot reach \(host): \(reason)"
        case .notHyperV(let host):
            "\(host) has no Hyper-V WMI namespace (root\\virtualization\\v2): it is not a Hyper-V host, or the Hyper-V role's management tools are not installed"
        case .agent(let host, let reason, _): "\(host): list-guests failed: \(reason)"
        }
    }
}
