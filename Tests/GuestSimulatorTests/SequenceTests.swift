import Foundation
import Testing

/// The whole ESU procedure on a `fresh` guest, stepping the guest clock over the restart.
@Suite struct SequenceTests {
    static let key = "M7XTQ-FN8P6-TTKYV-9D4CC-J462D"
    static var keyHash: String { Harness.sha256(Array(key.utf8)) }
    let y1 = "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4"

    func payload(_ lab: Lab, _ name: String, _ content: String) throws -> (path: String, sha: String) {
        let dir = lab.home + "/esuctl-payloads"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(content.utf8))
        return (#"esuctl-payloads\"# + name, Harness.sha256(file: dir + "/" + name))
    }

    func err(_ r: Harness.Run) -> String? { (r.json?["error"] as? [String: Any])?["code"] as? String }
    func data(_ r: Harness.Run) -> [String: Any] { r.json?["data"] as? [String: Any] ?? [:] }

    @Test func fullSequenceOnFresh() throws {
        let lab = try Lab(profile: "fresh", keyHashes: [(1, Self.keyHash)], restartSeconds: 60)
        var outputs: [[UInt8]] = []
        let t0 = "2026-01-15T09:00:00Z"
        let ssu = try payload(lab, "windows8.1-kb5029368-x64_abc.msu", "ssu bytes")
        let prep = try payload(lab, "windows8.1-kb5017220-x64_def.msu", "prep bytes")

        var r = try lab.agent("install-package", ["path": ssu.path, "sha256": ssu.sha, "kb": "KB5029368"], now: t0)
        outputs.append(r.stdout)
        #expect(r.status == 0)
        #expect(data(r)["result"] as? String == "installed")
        #expect(data(r)["restartRequired"] as? Bool == false)
        #expect(data(r)["exitCode"] as? Int == 0)

        r = try lab.agent("install-package", ["path": ssu.path, "sha256": ssu.sha, "kb": "KB5029368"], now: t0)
        #expect(data(r)["result"] as? String == "alreadyInstalled")

        r = try lab.agent("install-package", ["path": prep.path, "sha256": prep.sha, "kb": "KB5017220"], now: t0)
        #expect(data(r)["result"] as? String == "installed")
        #expect(data(r)["restartRequired"] as? Bool == true)
        #expect(data(r)["exitCode"] as? Int == 3010)

        r = try lab.agent("collect", now: t0)
        let pending = data(r)["pendingReboot"] as? [String: Any]
        #expect(pending?["pending"] as? Bool == true)
        #expect(pending?["reasons"] as? [String] == ["CBS RebootPending"])
        let boot0 = (data(r)["os"] as? [String: Any])?["lastBootUpTime"] as? String

        // The key before the restart: the ESU add-on does not exist yet.
        r = try lab.agent("install-key", secret: Self.key, now: t0)
        outputs.append(r.stdout)
        #expect(r.status == 1)
        #expect(err(r) == "0xC004F050")

        r = try lab.agent("restart", ["delaySeconds": 0, "reason": "esuctl: ESU prerequisites"], now: t0)
        #expect(r.status == 0)
        #expect(data(r)["scheduled"] as? Bool == true)

        // Down: every session ends at once, status 255, nothing written.
        for cmd in [Harness.agentCommand, "hostname", "/usr/lib/openssh/sftp-server"] {
            let d = try Harness.run(["--lab", lab.dir, "--guest", lab.guest], command: cmd,
                                    stdin: Harness.stdin(verb: "collect"), now: "2026-01-15T09:00:30Z")
            #expect(d.status == 255)
            #expect(d.stdout.isEmpty && d.stderr.isEmpty)
        }

        let t1 = "2026-01-15T09:01:01Z"
        r = try lab.agent("collect", ["esuActivationIds": [y1]], now: t1)
        #expect(r.status == 0)
        let boot1 = (data(r)["os"] as? [String: Any])?["lastBootUpTime"] as? String
        #expect(boot1 == "2026-01-15T09:01:00Z")
        #expect(boot1 != boot0)
        #expect((data(r)["pendingReboot"] as? [String: Any])?["pending"] as? Bool == false)
        let lic = (data(r)["licenses"] as? [[String: Any]]) ?? []
        #expect(lic.first { $0["activationId"] as? String == y1 }?["licenseStatus"] as? String == "unlicensed")

        r = try lab.agent("install-key", secret: Self.key, now: t1)
        outputs.append(r.stdout)
        #expect(r.status == 0)
        #expect(data(r)["partialProductKey"] as? String == "J462D")

        r = try lab.agent("activate", ["activationId": y1.uppercased()], now: t1)
        outputs.append(r.stdout)
        #expect(r.status == 0)
        #expect(data(r)["licenseStatus"] as? String == "licensed")

        r = try lab.agent("collect", now: t1)
        outputs.append(r.stdout)
        let lic2 = (data(r)["licenses"] as? [[String: Any]]) ?? []
        #expect(lic2.first { $0["activationId"] as? String == y1 }?["licenseStatus"] as? String == "licensed")

        let raw = try lab.raw(#"cscript //nologo C:\Windows\System32\slmgr.vbs /dlv all"#, now: t1)
        outputs.append(raw.stdout)
        #expect(raw.text.contains("Partial Product Key: J462D\r\nLicense Status: Licensed\r\n"))

        // No key in clear anywhere: state files and every output.
        let keyBytes = Array(Self.key.utf8)
        let files = FileManager.default.enumerator(atPath: lab.dir)?.compactMap { $0 as? String } ?? []
        for f in files {
            let d = [UInt8](FileManager.default.contents(atPath: lab.dir + "/" + f) ?? Data())
            #expect(!contains(d, keyBytes), "key in \(f)")
        }
        for o in outputs { #expect(!contains(o, keyBytes)) }
        #expect(!contains(outputs.flatMap { $0 }, Array(Self.key.replacingOccurrences(of: "-", with: "").utf8)))
    }

    func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= hay.count else { return false }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return true }
        return false
    }

    @Test func activationErrors() throws {
        // A non-ESU ID is a KMS attempt; an unknown ID is not found.
        let lab = try Lab(profile: "licensed")
        var r = try lab.agent("activate", ["activationId": "b3ca044e-a358-4d68-9883-aaa2941aca99"])
        #expect(r.status == 1 && err(r) == "0xC004F074")
        r = try lab.agent("activate", ["activationId": "553673ed-6ddf-419c-a153-b760283472fd"])
        #expect(err(r) == "not-found")

        // Keys with no activations left.
        let ex = try Lab(profile: "mak-exhausted", keyHashes: [(1, Self.keyHash)])
        r = try ex.agent("install-key", secret: Self.key)
        #expect(r.status == 0)
        r = try ex.agent("activate", ["activationId": y1])
        #expect(r.status == 1 && err(r) == "0xC004C008")
        #expect(((r.json?["error"] as? [String: Any])?["text"] as? String)?.isEmpty == false)

        // A key for another edition.
        let we = try Lab(profile: "arc")
        try we.set("acceptKey=1:\(Self.keyHash):5:wrong-edition")
        r = try we.agent("install-key", secret: Self.key)
        #expect(err(r) == "0xC004F069")

        // An unknown key, and a product without a key.
        let uk = try Lab(profile: "arc", keyHashes: [(1, Self.keyHash)])
        r = try uk.agent("install-key", secret: "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
        #expect(err(r) == "0xC004F050")
        r = try uk.agent("activate", ["activationId": y1])
        #expect(err(r) == "0xC004F074")

        // The activationError fault.
        try uk.set("activationError=0xC004C003")
        _ = try uk.agent("install-key", secret: Self.key)
        r = try uk.agent("activate", ["activationId": y1])
        #expect(err(r) == "0xC004C003")
    }

    @Test func packageErrors() throws {
        let lab = try Lab(profile: "server2012")
        let prepR2 = try payload(lab, "windows8.1-kb5017220-x64_def.msu", "prep bytes")
        var r = try lab.agent("install-package", ["path": prepR2.path, "sha256": prepR2.sha, "kb": "KB5017220"])
        #expect(r.status == 1 && err(r) == "0x800F081E")
        #expect(data(r)["result"] as? String == "notApplicable")

        let ssu = try payload(lab, "windows8-rt-kb5029369-x64_abc.msu", "ssu 2012")
        r = try lab.agent("install-package", ["path": ssu.path, "sha256": String(repeating: "0", count: 64), "kb": "KB5029369"])
        #expect(err(r) == "hash-mismatch")

        // An absolute path maps under the guest's C: drive.
        let abs = #"C:\Users\Administrator\esuctl-payloads\windows8-rt-kb5029369-x64_abc.msu"#
        try lab.set("dismFailure=0x800F0922")
        r = try lab.agent("install-package", ["path": abs, "sha256": ssu.sha, "kb": "KB5029369"])
        #expect(err(r) == "0x800F0922")
        try lab.set("dismFailure=none")
        r = try lab.agent("install-package", ["path": abs, "sha256": ssu.sha, "kb": "KB5029369"])
        #expect(r.status == 0 && data(r)["result"] as? String == "installed")

        r = try lab.agent("install-package", ["path": #"..\..\etc\passwd-kb1"#, "sha256": ssu.sha, "kb": "KB1"])
        #expect(err(r) == "args")
    }
}
