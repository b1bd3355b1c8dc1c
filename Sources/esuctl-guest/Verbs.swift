import Foundation

/// One verb's outcome: the envelope fields plus what the session does after replying.
struct VerbResult {
    var ok: Bool
    var data: Any = NSNull()
    var errorCode: String? = nil
    var errorText: String? = nil
    static func fail(_ code: String, _ text: String, data: Any = NSNull()) -> VerbResult {
        VerbResult(ok: false, data: data, errorCode: code, errorText: text)
    }
}

/// The agent verbs of `docs/agent-protocol.md` section 5, run against the guest state.
struct Verbs {
    let paths: GuestPaths
    let now: Date

    func run(verb: String, args: [String: Any], secret: String?) throws -> VerbResult {
        switch verb {
        case "collect": return try collect(args)
        case "install-package": return try installPackage(args)
        case "install-key": return try installKey(secret)
        case "activate": return try activate(args)
        case "restart": return try restart(args)
        case "installation-id": return try installationID(args)
        case "deposit-confirmation": return try depositConfirmation(args, secret)
        case "list-guests": return try listGuests()
        default: return .fail("args", "unknown verb '\(verb)'")
        }
    }

    // MARK: collect

    func collect(_ args: [String: Any]) throws -> VerbResult {
        let s = try StateStore.read(paths)
        let wanted = Set(((args["esuActivationIds"] as? [String]) ?? []).map { $0.lowercased() })
            .union(WindowsFacts.esuIds.values)
        var licenses: [[String: Any]] = []
        for p in s.products where p.partialProductKey != nil || wanted.contains(p.activationId.lowercased()) {
            licenses.append(["activationId": p.activationId.lowercased(), "applicationId": p.applicationId,
                             "name": p.name, "description": p.description,
                             "partialProductKey": p.partialProductKey.map { $0 as Any } ?? NSNull(),
                             "licenseStatus": Verbs.statusWord(p.licenseStatus)])
        }
        let broken = s.faults.wmiBroken == true
        let facts: [String: Any] = [
            "schema": 1,
            "host": s.os.computerName,
            "collectedAt": ISOTime.format(now),
            "os": ["caption": s.os.caption, "version": s.os.version, "productType": s.os.productType,
                   "uiLanguage": s.os.uiLanguage, "lastBootUpTime": s.lastBootUpTime],
            "hotfixes": s.hotfixes.map { ["id": $0.id, "installedOn": $0.installedOn.map { $0 as Any } ?? NSNull()] },
            "pendingReboot": ["pending": !s.pendingReboot.isEmpty, "reasons": s.pendingReboot],
            "licenses": broken ? NSNull() : licenses as Any,
            "licenseSource": broken ? "wmi-failed" : "wmi",
            "arc": ["esuEnabled": s.arcEsuEnabled],
            "evidence": ["slmgrDlv": Slmgr(s: s, now: now).display(param: nil, verbose: true)],
        ]
        return VerbResult(ok: true, data: facts)
    }

    static func statusWord(_ n: Int) -> String {
        ["unlicensed", "licensed", "oobGrace", "ootGrace", "nonGenuineGrace", "notification", "extendedGrace"][safe: n] ?? "unknown"
    }

    // MARK: install-package

    /// Maps `C:\...` onto the guest's fs root and a relative path onto the SSH user's home.
    func resolve(_ path: String) -> String? {
        let p = path.replacingOccurrences(of: "\\", with: "/")
        let comps = p.split(separator: "/").map(String.init)
        if comps.contains("..") { return nil }
        if p.count >= 2, p.dropFirst().first == ":" {
            guard p.lowercased().hasPrefix("c:") else { return nil }
            return paths.fsRoot + "/" + comps.dropFirst().joined(separator: "/")
        }
        if p.hasPrefix("/") { return nil }
        return paths.home + "/" + comps.joined(separator: "/")
    }

    func installPackage(_ args: [String: Any]) throws -> VerbResult {
        guard let path = args["path"] as? String, let sha = args["sha256"] as? String, let kbArg = args["kb"] as? String else {
            return .fail("args", "install-package needs path, sha256 and kb")
        }
        let kb = kbArg.uppercased()
        guard kb.hasPrefix("KB"), kb.count > 2, kb.dropFirst(2).allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return .fail("args", "'\(kbArg)' is not a KB number")
        }
        guard let file = resolve(path) else { return .fail("args", "path '\(path)' is outside the guest") }
        let fileName = (path.replacingOccurrences(of: "\\", with: "/") as NSString).lastPathComponent
        guard fileName.lowercased().contains(kb.lowercased()) else {
            return .fail("args", "file '\(fileName)' is not the package for \(kb)")
        }
        guard FileManager.default.fileExists(atPath: file) else {
            return .fail("not-found", "Cannot find path '\(path)' because it does not exist.")
        }
        guard let actual = SHA256.hex(fileAt: file) else { return .fail("internal", "cannot read '\(path)'") }
        guard actual == sha.lowercased() else {
            return .fail("hash-mismatch", "SHA-256 of '\(path)' is \(actual), expected \(sha.lowercased())")
        }
        return try StateStore.update(paths) { s -> (VerbResult, Bool) in
            let ja = s.isJapanese
            if s.hasHotfix(kb) {
                return (VerbResult(ok: true, data: ["kb": kb, "result": "alreadyInstalled", "restartRequired": false, "exitCode": 0]), false)
            }
            let known = WindowsFacts.packages[kb]
            let esuOS = s.os.version == "6.3.9600" || s.os.version == "6.2.9200"
            if !esuOS || (known != nil && known!.os != s.os.version) {
                let e = HResultError("0x800F081E")
                return (.fail(e.code, e.systemText(japanese: ja),
                              data: ["kb": kb, "result": "notApplicable", "restartRequired": false, "exitCode": Int(Int32(bitPattern: e.value))]), false)
            }
            if let d = s.faults.dismFailure {
                let e = HResultError(d)
                return (.fail(e.code, e.systemText(japanese: ja)), false)
            }
            let restart = known?.kind != .ssu
            s.hotfixes.append(.init(id: kb, installedOn: ISOTime.day(now), description: known?.kind == .ssu ? "Update" : "Update"))
            if restart {
                s.awaitingRestart.append(kb)
                if !s.pendingReboot.contains("CBS RebootPending") { s.pendingReboot.append("CBS RebootPending") }
            }
            return (VerbResult(ok: true, data: ["kb": kb, "result": "installed", "restartRequired": restart, "exitCode": restart ? 3010 : 0]), true)
        }
    }

    // MARK: install-key / activate

    func installKey(_ secret: String?) throws -> VerbResult {
        guard let key = secret, !key.isEmpty else { return .fail("args", "install-key needs the key on stdin line 4") }
        return try StateStore.update(paths) { s -> (VerbResult, Bool) in
            switch Licensing.installKey(key, in: &s) {
            case .success(let pk): return (VerbResult(ok: true, data: ["partialProductKey": pk]), true)
            case .failure(let e): return (.fail(e.code, e.systemText(japanese: s.isJapanese)), false)
            }
        }
    }

    func activate(_ args: [String: Any]) throws -> VerbResult {
        guard let id = args["activationId"] as? String else { return .fail("args", "activate needs activationId") }
        return try StateStore.update(paths) { s -> (VerbResult, Bool) in
            guard let i = s.product(id) else {
                return (.fail("not-found", "No SoftwareLicensingProduct has ID \(id.lowercased())."), false)
            }
            switch Licensing.activate(index: i, in: &s) {
            case .success:
                return (VerbResult(ok: true, data: ["activationId": s.products[i].activationId,
                                                    "licenseStatus": Verbs.statusWord(s.products[i].licenseStatus)]), true)
            case .failure(let e): return (.fail(e.code, e.systemText(japanese: s.isJapanese)), false)
            }
        }
    }

    // MARK: phone activation

    func installationID(_ args: [String: Any]) throws -> VerbResult {
        guard let id = args["activationId"] as? String else { return .fail("args", "installation-id needs activationId") }
        let s = try StateStore.read(paths)
        guard let i = s.product(id) else { return .fail("not-found", "No SoftwareLicensingProduct has ID \(id.lowercased()).") }
        guard s.products[i].partialProductKey != nil else {
            return .fail("no-key", "no product key is installed for \(id.lowercased()); install the key first")
        }
        return VerbResult(ok: true, data: ["activationId": s.products[i].activationId,
                                           "installationId": Licensing.installationID(s.products[i], computerName: s.os.computerName)])
    }

    func depositConfirmation(_ args: [String: Any], _ secret: String?) throws -> VerbResult {
        guard let id = args["activationId"] as? String else { return .fail("args", "deposit-confirmation needs activationId") }
        guard let cid = secret, !cid.isEmpty else { return .fail("args", "deposit-confirmation needs the confirmation ID on stdin line 4") }
        return try StateStore.update(paths) { s -> (VerbResult, Bool) in
            guard let i = s.product(id) else {
                return (.fail("not-found", "No SoftwareLicensingProduct has ID \(id.lowercased())."), false)
            }
            guard s.products[i].partialProductKey != nil else {
                return (.fail("no-key", "no product key is installed for \(id.lowercased()); install the key first"), false)
            }
            switch Licensing.depositConfirmation(cid, index: i, in: &s) {
            case .success:
                return (VerbResult(ok: true, data: ["activationId": s.products[i].activationId,
                                                    "licenseStatus": Verbs.statusWord(s.products[i].licenseStatus)]), true)
            case .failure(let e): return (.fail(e.code, e.systemText(japanese: s.isJapanese)), false)
            }
        }
    }

    // MARK: list-guests

    /// Only the Hyper-V host profile has `root\\virtualization\\v2`; its VMs are the lab's other
    /// guests (`LABDIR/guests.json`), each answering from its own state: running with KVP items,
    /// or off with none while it is down.
    func listGuests() throws -> VerbResult {
        let s = try StateStore.read(paths)
        guard s.profile == "hyperv-host-2019" else {
            return .fail("0x8004100E", s.isJapanese ? "名前空間が無効です " : "Invalid namespace ")
        }
        let mapData = FileManager.default.contents(atPath: paths.lab + "/guests.json") ?? Data("{}".utf8)
        let map = ((try? JSONSerialization.jsonObject(with: mapData)) as? [String: String]) ?? [:]
        var guests: [[String: Any]] = []
        for name in Set(map.values).subtracting([paths.name]).sorted() {
            guard let g = try? StateStore.read(GuestPaths(lab: paths.lab, name: name)) else { continue }
            let down = g.downUntil.flatMap(ISOTime.parse).map { now < $0 } ?? false
            let items: Any = down ? NSNull() : [
                ["name": "FullyQualifiedDomainName", "data": g.os.computerName],
                ["name": "OSName", "data": g.os.caption],
                ["name": "OSVersion", "data": g.os.version],
                ["name": "NetworkAddressIPv4", "data": "127.0.0.1"],
            ]
            guests.append(["name": name, "enabledState": down ? 3 : 2, "items": items])
        }
        let host: [String: Any] = ["computerName": s.os.computerName, "osName": s.os.caption, "osVersion": s.os.version]
        return VerbResult(ok: true, data: ["host": host, "guests": guests])
    }

    // MARK: restart

    func restart(_ args: [String: Any]) throws -> VerbResult {
        let delay = (args["delaySeconds"] as? Int) ?? 0
        return try StateStore.update(paths) { s -> (VerbResult, Bool) in
            let previousBoot = s.lastBootUpTime
            let down = s.faults.downForever == true
                ? Date(timeIntervalSince1970: 253_402_300_799) // 9999-12-31T23:59:59Z
                : now.addingTimeInterval(TimeInterval(max(0, delay) + max(0, s.restartSeconds)))
            s.downUntil = ISOTime.format(down)
            s.lastBootUpTime = ISOTime.format(down)
            s.pendingReboot = []
            s.awaitingRestart = []
            WindowsFacts.materializeESU(&s)
            return (VerbResult(ok: true, data: ["scheduled": true, "lastBootUpTime": previousBoot]), true)
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
