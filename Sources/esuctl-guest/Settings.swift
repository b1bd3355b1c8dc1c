import Foundation

/// `esuctl-guest set KEY=VALUE`: faults and state by hand. `none` (or an empty value) clears a fault.
enum Settings {
    struct Bad: Error, CustomStringConvertible { let description: String }

    static func apply(_ assignment: String, to s: inout GuestState) throws {
        let kv = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let key = kv[0], v = kv.count > 1 ? kv[1] : ""
        let clear = v.isEmpty || v == "none"
        func bool() throws -> Bool? {
            if clear || v == "false" { return nil }
            if v == "true" { return true }
            throw Bad(description: "\(key) takes true, false or none")
        }
        func num() throws -> Double? {
            if clear { return nil }
            guard let d = Double(v), d >= 0 else { throw Bad(description: "\(key) takes a number") }
            return d
        }
        func hresult() throws -> String? {
            if clear { return nil }
            let h = v.lowercased().hasPrefix("0x") ? String(v.dropFirst(2)) : v
            guard !h.isEmpty, h.count <= 8, UInt32(h, radix: 16) != nil else { throw Bad(description: "\(key) takes a code such as 0xC004C003") }
            return HResultError(v).code
        }
        switch key {
        case "slowSeconds": s.faults.slowSeconds = try num()
        case "hang": s.faults.hang = try bool()
        case "dropMidOutput": s.faults.dropMidOutput = try bool()
        case "garbage": s.faults.garbage = try bool()
        case "hugeOutputBytes": s.faults.hugeOutputBytes = try num().map { Int($0) }
        case "truncateJSON": s.faults.truncateJSON = try bool()
        case "wmiBroken": s.faults.wmiBroken = try bool()
        case "dismFailure": s.faults.dismFailure = try hresult()
        case "activationError": s.faults.activationError = try hresult()
        case "downForever": s.faults.downForever = try bool()
        case "wuauserv":
            guard clear || ["Running", "Stopped", "Paused", "Start Pending", "Stop Pending"].contains(v) else {
                throw Bad(description: "wuauserv takes Running, Stopped, Paused, Start Pending, Stop Pending or none")
            }
            s.faults.wuauserv = clear || v == "Running" ? nil : v
        case "diskFreeBytes": s.faults.diskFreeBytes = try num().map { Int($0) }
        case "kmsSRV":
            if v.isEmpty { s.faults.kmsSRV = nil } else if v == "none" { s.faults.kmsSRV = "none" } else {
                let p = v.split(separator: ":").map(String.init)
                guard p.count == 2, !p[0].isEmpty, let port = Int(p[1]), (1...65535).contains(port) else {
                    throw Bad(description: "kmsSRV takes none or host:port")
                }
                s.faults.kmsSRV = v
            }
        case "kms1688":
            guard clear || v == "reachable" || v == "unreachable" else { throw Bad(description: "kms1688 takes reachable or unreachable") }
            s.faults.kms1688 = v == "unreachable" ? v : nil
        case "clockSkewSeconds":
            if clear { s.faults.clockSkewSeconds = nil } else {
                guard let n = Int(v) else { throw Bad(description: "clockSkewSeconds takes whole seconds (negative for behind)") }
                s.faults.clockSkewSeconds = n == 0 ? nil : n
            }
        case "clearFaults": s.faults = Faults()
        case "restartSeconds":
            guard let n = Int(v), n >= 0 else { throw Bad(description: "restartSeconds takes whole seconds") }
            s.restartSeconds = n
        case "downUntil":
            if clear { s.downUntil = nil } else {
                guard ISOTime.parse(v) != nil else { throw Bad(description: "downUntil takes ISO 8601 time or none") }
                s.downUntil = v
            }
        case "lastBootUpTime":
            guard ISOTime.parse(v) != nil else { throw Bad(description: "lastBootUpTime takes ISO 8601 time") }
            s.lastBootUpTime = v
        case "arc": s.arcEsuEnabled = try bool() ?? false
        case "computerName": s.os.computerName = v
        case "uiLanguage":
            s.os.uiLanguage = v; s.os.codePage = v.lowercased().hasPrefix("ja") ? 932 : 437
        case "codePage":
            guard v == "437" || v == "932" else { throw Bad(description: "codePage takes 437 or 932") }
            s.os.codePage = Int(v)!
        case "acceptKey":
            // YEAR:SHA256HEX[:REMAINING[:wrong-edition]]
            let p = v.split(separator: ":").map(String.init)
            guard p.count >= 2, let y = Int(p[0]), (1...3).contains(y), Hex.isLowerHex64(p[1].lowercased()) else {
                throw Bad(description: "acceptKey takes YEAR:SHA256HEX[:REMAINING[:wrong-edition]]")
            }
            let rem = p.count > 2 ? Int(p[2]) ?? 5 : 5
            s.acceptedKeys.removeAll { $0.sha256 == p[1].lowercased() }
            s.acceptedKeys.append(.init(year: y, sha256: p[1].lowercased(), remainingActivations: rem,
                                        wrongEdition: p.count > 3 && p[3] == "wrong-edition"))
        case "keyRemaining":
            let p = v.split(separator: ":").map(String.init)
            guard p.count == 2, let y = Int(p[0]), let n = Int(p[1]), n >= 0 else { throw Bad(description: "keyRemaining takes YEAR:N") }
            for i in s.acceptedKeys.indices where s.acceptedKeys[i].year == y { s.acceptedKeys[i].remainingActivations = n }
        case "wrongEdition":
            let p = v.split(separator: ":").map(String.init)
            guard p.count == 2, let y = Int(p[0]) else { throw Bad(description: "wrongEdition takes YEAR:true|false") }
            for i in s.acceptedKeys.indices where s.acceptedKeys[i].year == y { s.acceptedKeys[i].wrongEdition = p[1] == "true" }
        case "hotfix":
            let p = v.split(separator: ":").map(String.init)
            guard let kb = p.first?.uppercased(), kb.hasPrefix("KB") else { throw Bad(description: "hotfix takes KBnnnn[:YYYY-MM-DD]") }
            if !s.hasHotfix(kb) { s.hotfixes.append(.init(id: kb, installedOn: p.count > 1 ? p[1] : nil, description: "Update")) }
        case "removeHotfix":
            s.hotfixes.removeAll { $0.id.uppercased() == v.uppercased() }
        case "pendingReboot":
            s.pendingReboot = clear ? [] : v.split(separator: ",").map(String.init)
        default:
            throw Bad(description: "unknown setting '\(key)'")
        }
    }
}
