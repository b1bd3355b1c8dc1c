import Foundation
import Testing

@Suite struct CollectTests {
    func licenses(_ r: Harness.Run) -> [[String: Any]] {
        ((r.json?["data"] as? [String: Any])?["licenses"] as? [[String: Any]]) ?? []
    }
    func status(_ r: Harness.Run, _ id: String) -> String? {
        licenses(r).first { ($0["activationId"] as? String) == id }?["licenseStatus"] as? String
    }
    let y1 = "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4", y2 = "e3e2690b-931c-4c80-b1ff-dffba8a81988", y3 = "55b1dd2d-2209-4ea0-a805-06298bad25b3"
    let args: [String: Any] = ["esuActivationIds": ["c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4", "e3e2690b-931c-4c80-b1ff-dffba8a81988",
                                                    "55b1dd2d-2209-4ea0-a805-06298bad25b3"],
                               "windowsApplicationId": "55c92734-d682-4d71-983e-d6ec3f16059f"]

    @Test func freshGuest() throws {
        let lab = try Lab(profile: "fresh")
        let r = try lab.agent("collect", args, now: "2026-01-15T09:00:00Z")
        #expect(r.status == 0)
        let env = try #require(r.json)
        #expect(env["protocol"] as? Int == 1)
        #expect(env["agent"] as? String == "sim-1")
        #expect(env["verb"] as? String == "collect")
        #expect(env["ok"] as? Bool == true)
        #expect(env["error"] is NSNull)
        let d = try #require(env["data"] as? [String: Any])
        #expect(d["schema"] as? Int == 1)
        #expect(d["host"] as? String == "GUEST01")
        #expect(d["collectedAt"] as? String == "2026-01-15T09:00:00Z")
        #expect(d["licenseSource"] as? String == "wmi")
        let os = try #require(d["os"] as? [String: Any])
        #expect(os["version"] as? String == "6.3.9600")
        #expect(os["caption"] as? String == "Microsoft Windows Server 2012 R2 Standard")
        #expect(os["productType"] as? Int == 3)
        #expect(os["uiLanguage"] as? String == "en-US")
        #expect(os["lastBootUpTime"] is String)
        let ids = licenses(r).compactMap { $0["activationId"] as? String }
        #expect(ids == ["b3ca044e-a358-4d68-9883-aaa2941aca99"])
        let hot = (d["hotfixes"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        #expect(!hot.contains("KB5029368") && !hot.contains("KB5017220"))
        #expect((d["pendingReboot"] as? [String: Any])?["pending"] as? Bool == false)
        let dlv = try #require((d["evidence"] as? [String: Any])?["slmgrDlv"] as? String)
        #expect(dlv.hasPrefix("Software licensing service version: 6.3.9600.17809\r\n\r\nName: Windows(R), ServerStandard edition\r\n"))
        #expect(dlv.contains("License Status: Licensed\r\n"))
    }

    @Test func everyProfile() throws {
        for profile in ["hyperv-host-2019", "ssu-only", "prereqs-no-restart", "key-installed", "licensed", "japanese", "arc",
                        "server2012", "mak-exhausted"] {
            let lab = try Lab(profile: profile, keyHashes: [(1, String(repeating: "a", count: 64))])
            let r = try lab.agent("collect", args)
            #expect(r.status == 0, "\(profile)")
            let d = try #require(r.json?["data"] as? [String: Any])
            let os = try #require(d["os"] as? [String: Any])
            let hot = (d["hotfixes"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            let pending = (d["pendingReboot"] as? [String: Any])?["reasons"] as? [String] ?? []
            let arc = (d["arc"] as? [String: Any])?["esuEnabled"] as? Bool
            switch profile {
            case "hyperv-host-2019":
                #expect(os["version"] as? String == "10.0.17763")
                #expect(licenses(r).count == 1)
            case "ssu-only":
                #expect(hot.contains("KB5029368") && !hot.contains("KB5017220"))
            case "prereqs-no-restart":
                #expect(hot.contains("KB5029368") && hot.contains("KB5017220"))
                #expect(pending == ["CBS RebootPending"])
                #expect(status(r, y1) == nil, "ESU products appear only after the restart")
            case "key-installed":
                #expect(status(r, y1) == "notification")
                #expect(licenses(r).first { ($0["activationId"] as? String) == y1 }?["partialProductKey"] as? String == "KX7QB")
                #expect(status(r, y2) == "unlicensed")
            case "licensed":
                #expect(status(r, y1) == "licensed" && status(r, y2) == "licensed" && status(r, y3) == "licensed")
            case "japanese":
                #expect(os["uiLanguage"] as? String == "ja-JP")
                let dlv = (d["evidence"] as? [String: Any])?["slmgrDlv"] as? String ?? ""
                #expect(dlv.hasPrefix("ソフトウェア ライセンス サービスのバージョン: 6.3.9600.17809\r\n"))
                #expect(dlv.contains("ライセンスの状態: ライセンスされています\r\n"))
            case "arc":
                #expect(arc == true)
                #expect(status(r, y1) == "unlicensed")
            case "server2012":
                #expect(os["version"] as? String == "6.2.9200")
            case "mak-exhausted":
                #expect(status(r, y1) == "unlicensed")
            default: break
            }
        }
    }

    @Test func wmiBroken() throws {
        let lab = try Lab(profile: "licensed")
        try lab.set("wmiBroken=true")
        let r = try lab.agent("collect", args)
        let d = try #require(r.json?["data"] as? [String: Any])
        #expect(d["licenses"] is NSNull)
        #expect(d["licenseSource"] as? String == "wmi-failed")
        let dlv = (d["evidence"] as? [String: Any])?["slmgrDlv"] as? String ?? ""
        #expect(dlv.contains("Activation ID: c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4\r\n"))
    }
}
