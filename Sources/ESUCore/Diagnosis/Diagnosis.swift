import Foundation

/// What the agent's `diagnose` verb reports (docs/agent-protocol.md, section 5).
public struct DiagnoseData: Codable, Equatable, Sendable {
    public struct TCPCheck: Codable, Equatable, Sendable {
        public var host: String
        public var reachable: Bool
        public init(host: String, reachable: Bool) { self.host = host; self.reachable = reachable }
    }
    public struct KMS: Codable, Equatable, Sendable {
        /// `host:port` of each `_vlmcs._tcp` SRV record the guest resolves.
        public var srvRecords: [String]
        public var srvError: String?
        public var tcp1688: [TCPCheck]
        public init(srvRecords: [String] = [], srvError: String? = nil, tcp1688: [TCPCheck] = []) {
            self.srvRecords = srvRecords; self.srvError = srvError; self.tcp1688 = tcp1688
        }
    }
    /// `Win32_Service.State` of wuauserv: `Running`, `Stopped`, … (`NotFound` without the service).
    public var wuauserv: String?
    public var systemDriveFreeBytes: Int64?
    public var kms: KMS

    public init(wuauserv: String?, systemDriveFreeBytes: Int64?, kms: KMS = KMS()) {
        self.wuauserv = wuauserv; self.systemDriveFreeBytes = systemDriveFreeBytes; self.kms = kms
    }

    /// Decodes the reply's data object.
    public static func load(json data: Data) throws(DiagnoseDataError) -> DiagnoseData {
        do { return try JSONDecoder().decode(DiagnoseData.self, from: data) } catch {
            throw DiagnoseDataError(description: "the agent's diagnose data is malformed: \(error)")
        }
    }
}

/// The `diagnose` reply's data did not have the documented shape.
public struct DiagnoseDataError: Error, Equatable, CustomStringConvertible {
    public let description: String
}

/// How bad one finding is.
public enum FindingSeverity: String, Codable, Sendable, Comparable {
    case ok, warn, problem
    var rank: Int { switch self { case .ok: 0; case .warn: 1; case .problem: 2 } }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// One check's result: a one-line summary and, where there is one, what to do.
public struct Finding: Codable, Equatable, Sendable {
    /// `lastError`, `kmsSRV`, `kms1688`, `wuauserv`, `ssu`, `clock`, `diskSpace`, `restart`.
    public var check: String
    public var severity: FindingSeverity
    public var summary: String
    public var remedy: String?
    public init(check: String, severity: FindingSeverity, summary: String, remedy: String? = nil) {
        self.check = check; self.severity = severity; self.summary = summary; self.remedy = remedy
    }
}

/// The checks behind the troubleshooting advice, for one host.
public struct Diagnosis: Codable, Equatable, Sendable {
    public var severity: FindingSeverity
    public var verdict: String
    public var findings: [Finding]

    public static let maxClockSkewSeconds: Double = 300
    public static let minFreeBytes: Int64 = 2_000_000_000
    static let kmsCodes: Set<String> = ["0xC004F074", "0x8007232B"]

    /// - Parameters:
    ///   - lastErrorCode: `windowsCode` of the host's latest failed step in the audit log, if any.
    ///   - controllerTime: the controller's clock when the guest's `guestTime` was read.
    public static func evaluate(facts: Facts, data: DiagnoseData, lastErrorCode: String?, catalog: Catalog,
                                controllerTime: Date) -> Diagnosis {
        var f: [Finding] = []

        // (a) the last recorded error, and (b) for KMS codes, the KMS checks.
        var normalized: String? = nil
        if let code = lastErrorCode {
            if let e = try? ErrorKnowledge.explain(code) {
                normalized = e.code
                let name = e.symbol.map { " (\($0))" } ?? ""
                f.append(Finding(check: "lastError", severity: e.success ? .ok : .problem,
                                 summary: "last recorded error \(e.code)\(name): \(e.meaning)", remedy: e.success ? nil : e.remedy))
            } else {
                f.append(Finding(check: "lastError", severity: .problem,
                                 summary: "last recorded error \(code) (not in esuctl's table)",
                                 remedy: "run `esuctl explain \(code)` and look the code up in Microsoft's documentation"))
            }
        } else {
            f.append(Finding(check: "lastError", severity: .ok, summary: "no failed activation or servicing step recorded"))
        }
        if let code = normalized, kmsCodes.contains(code) {
            if data.kms.srvRecords.isEmpty {
                f.append(Finding(check: "kmsSRV", severity: .problem,
                                 summary: "no _vlmcs._tcp SRV record resolves on the guest" + (data.kms.srvError.map { " (\($0))" } ?? ""),
                                 remedy: "activate with the ESU Activation ID (MAK), which needs no KMS; for KMS, publish the _vlmcs._tcp SRV record or set the KMS host with slmgr /skms"))
            } else {
                f.append(Finding(check: "kmsSRV", severity: .ok, summary: "_vlmcs._tcp resolves to \(data.kms.srvRecords.joined(separator: ", "))"))
                let down = data.kms.tcp1688.filter { !$0.reachable }.map(\.host)
                if data.kms.tcp1688.isEmpty || !down.isEmpty {
                    let hosts = down.isEmpty ? data.kms.srvRecords.joined(separator: ", ") : down.joined(separator: ", ")
                    f.append(Finding(check: "kms1688", severity: .problem, summary: "TCP 1688 to \(hosts) does not answer from the guest",
                                     remedy: "check the firewall between the guest and the KMS host and that the KMS host is running"))
                } else {
                    f.append(Finding(check: "kms1688", severity: .ok, summary: "TCP 1688 answers from \(data.kms.tcp1688.map(\.host).joined(separator: ", "))"))
                }
            }
        }

        // (c) Windows Update service.
        switch data.wuauserv {
        case "Running"?: f.append(Finding(check: "wuauserv", severity: .ok, summary: "Windows Update service (wuauserv) is Running"))
        case nil: f.append(Finding(check: "wuauserv", severity: .warn, summary: "Windows Update service (wuauserv) state unknown"))
        case let state?:
            f.append(Finding(check: "wuauserv", severity: .problem, summary: "Windows Update service (wuauserv) is \(state)",
                             remedy: "set it to start (sc.exe config wuauserv start= delayed-auto) and start it (net start wuauserv); package installs need it"))
        }

        // (d) servicing stack update.
        if let os = catalog.eligible(facts.os.version) {
            let qualifying = os.ssus.filter { $0.released >= catalog.minimumSSUDate }.map(\.kb)
            if let kb = qualifying.first(where: facts.installedKBs.contains) {
                f.append(Finding(check: "ssu", severity: .ok, summary: "servicing stack update \(kb) is installed"))
            } else {
                f.append(Finding(check: "ssu", severity: .problem,
                                 summary: "no servicing stack update released on or after \(catalog.minimumSSUDate) is installed",
                                 remedy: "install \(os.ssuToInstall) (esuctl sync does) before the preparation package"))
            }
        }

        // (e) clock skew.
        if let guest = facts.guestTime {
            let skew = guest.date.timeIntervalSince(controllerTime)
            let text = "\(Int(abs(skew).rounded())) s \(skew >= 0 ? "ahead of" : "behind") the controller"
            if abs(skew) > maxClockSkewSeconds {
                f.append(Finding(check: "clock", severity: .problem, summary: "the guest's clock is \(text)",
                                 remedy: "correct the guest's date, time and time zone (w32tm /resync); TLS to the activation servers fails with a wrong clock"))
            } else {
                f.append(Finding(check: "clock", severity: .ok, summary: "the guest's clock is \(text)"))
            }
        } else {
            f.append(Finding(check: "clock", severity: .warn, summary: "the guest's clock was not reported"))
        }

        // (f) free space on the system drive.
        if let free = data.systemDriveFreeBytes {
            if free < minFreeBytes {
                f.append(Finding(check: "diskSpace", severity: .problem, summary: "only \(bytes(free)) free on the system drive",
                                 remedy: "free at least 2 GB on the system drive (Disk Cleanup, dism /online /cleanup-image /startcomponentcleanup) before installing updates"))
            } else {
                f.append(Finding(check: "diskSpace", severity: .ok, summary: "\(bytes(free)) free on the system drive"))
            }
        } else {
            f.append(Finding(check: "diskSpace", severity: .warn, summary: "free space on the system drive unknown"))
        }

        // (g) restart pending.
        if facts.pendingReboot.pending {
            let why = facts.pendingReboot.reasons.isEmpty ? "" : " (\(facts.pendingReboot.reasons.joined(separator: ", ")))"
            f.append(Finding(check: "restart", severity: .warn, summary: "a restart is pending\(why)",
                             remedy: "restart the guest (esuctl sync --allow-restart) before installing or activating"))
        } else {
            f.append(Finding(check: "restart", severity: .ok, summary: "no restart pending"))
        }

        let worst = f.map(\.severity).max() ?? .ok
        let verdict = worst == .ok ? "ok: no problems found"
            : "\(worst.rawValue): " + f.filter { $0.severity == worst }.map(\.summary).joined(separator: "; ")
        return Diagnosis(severity: worst, verdict: verdict, findings: f)
    }

    static func bytes(_ n: Int64) -> String {
        let gb = Double(n) / 1_000_000_000
        if gb >= 1 { return String(format: "%.1f GB", gb) }
        return String(format: "%.1f MB", Double(n) / 1_000_000)
    }
}
