import Foundation

/// `slmgr.vbs` as Windows prints it. Structure and English strings follow slmgr.vbs itself
/// (`LineOut` appends CRLF to a buffer; `ExitScript` echoes the buffer, which adds one more CRLF;
/// errors are `Error: 0x<HRESULT> <L_MsgError_ text>` and the script exits with the HRESULT).
/// The per-product label set is the Windows 8.1 / 2012 R2 one in the controller's fixtures
/// (`Use License URL`, `Validation URL`, `Product Key Channel`). Japanese labels are the ones in
/// `slmgr\0411\slmgr.ini` as the fixtures show them; messages without a confirmed Japanese
/// translation are printed in English on Japanese guests too.
struct Slmgr {
    let s: GuestState
    let now: Date
    var ja: Bool { s.isJapanese }

    // MARK: labels
    private var L: [String: String] {
        ja ? [
            "version": "ソフトウェア ライセンス サービスのバージョン: ", "name": "名前: ", "desc": "説明: ",
            "actid": "アクティベーション ID: ", "appid": "アプリケーション ID: ", "pid": "拡張 PID: ",
            "channel": "プロダクト キー チャネル: ", "iid": "インストール ID: ", "uselic": "使用ライセンス URL: ",
            "valid": "検証 URL: ", "ppk": "プロダクト キーの一部: ", "notinuse": "このライセンスは使用されていません。",
            "status": "ライセンスの状態: ", "licensed": "ライセンスされています", "unlicensed": "ライセンスされていません",
            "notification": "通知", "reason": "通知の理由: ", "winrearm": "Windows の残りの再認証回数: ",
            "skurearm": "SKU の残りの再認証回数: ", "trusted": "信頼された時刻: ",
        ] : [
            "version": "Software licensing service version: ", "name": "Name: ", "desc": "Description: ",
            "actid": "Activation ID: ", "appid": "Application ID: ", "pid": "Extended PID: ",
            "channel": "Product Key Channel: ", "iid": "Installation ID: ", "uselic": "Use License URL: ",
            "valid": "Validation URL: ", "ppk": "Partial Product Key: ", "notinuse": "This license is not in use.",
            "status": "License Status: ", "licensed": "Licensed", "unlicensed": "Unlicensed",
            "notification": "Notification", "reason": "Notification Reason: ", "winrearm": "Remaining Windows rearm count: ",
            "skurearm": "Remaining SKU rearm count: ", "trusted": "Trusted time: ",
        ]
    }

    /// slmgr's own error texts (`L_MsgError_<hex>`), English.
    static let errorText: [String: String] = [
        "C004C001": "The activation server determined the specified product key is invalid",
        "C004C003": "The activation server determined the specified product key is blocked",
        "C004C008": "The activation server determined that the specified product key could not be used",
        "C004C020": "The activation server reported that the Multiple Activation Key has exceeded its limit",
        "C004F025": "Access denied: the requested action requires elevated privileges",
        "C004F02C": "The software Licensing Service reported that the format for the offline activation data is incorrect",
        "C004F050": "The Software Licensing Service reported that the product key is invalid",
        "C004F074": "The Software Licensing Service reported that the computer could not be activated. The Key Management Service (KMS) is unavailable",
        "80070005": "Access denied: the requested action requires elevated privileges",
    ]

    /// The `Error:` lines for an HRESULT, as `ShowErrorNum` prints them.
    static func errorLines(_ code: String) -> [String] {
        let hex = code.uppercased().hasPrefix("0X") ? String(code.dropFirst(2)).uppercased() : code.uppercased()
        if let t = errorText[hex] { return ["Error: 0x\(hex) \(t)"] }
        return ["On a computer running Microsoft Windows non-core edition, run 'slui.exe 0x2a 0x\(hex)' to display the error text.",
                "Error: 0x\(hex) "]
    }

    // MARK: /dlv and /dli

    /// Full stdout of `cscript //nologo slmgr.vbs /dlv|/dli [all|ID]` (without the cscript banner).
    func display(param: String?, verbose: Bool) -> String {
        var out: [String] = []
        let p = param?.lowercased() ?? ""
        if verbose { out.append(L["version"]! + s.os.licensingServiceVersion) }
        var found = false
        for prod in s.products {
            let primary = !prod.isAddon && prod.applicationId == WindowsFacts.windowsAppId && prod.partialProductKey != nil
            let show = (p == "" && primary) || (p == "" && prod.isAddon && prod.partialProductKey != nil)
                || p == "all" || p == prod.activationId.lowercased()
            guard show else { continue }
            found = true
            out.append("")
            out += productLines(prod, verbose: verbose)
            if p != "all" && p == prod.activationId.lowercased() { break }
            out.append("")
        }
        if !found { out.append("Error: product key not found.") }
        return Console.lines(out) + "\r\n"
    }

    func productLines(_ p: GuestState.Product, verbose: Bool) -> [String] {
        var o = [L["name"]! + p.name, L["desc"]! + p.description]
        let keyed = p.partialProductKey != nil
        if verbose {
            o.append(L["actid"]! + p.activationId)
            o.append(L["appid"]! + p.applicationId)
            o.append(L["pid"]! + (keyed ? (p.extendedPID ?? "") : ""))
            o.append(L["channel"]! + (keyed ? "Volume:MAK" : ""))
            o.append(L["iid"]! + (keyed ? installationID(p) : ""))
            o.append(L["uselic"]! + WindowsFacts.useLicenseURL)
            o.append(L["valid"]! + WindowsFacts.validationURL)
        }
        o.append(keyed ? L["ppk"]! + p.partialProductKey! : L["notinuse"]!)
        switch p.licenseStatus {
        case 1: o.append(L["status"]! + L["licensed"]!)
        case 5:
            o.append(L["status"]! + L["notification"]!)
            o.append(L["reason"]! + "0xC004F056.")
        default: o.append(L["status"]! + L["unlicensed"]!)
        }
        if verbose && p.licenseStatus == 1 {
            o.append(L["winrearm"]! + "1000")
            o.append(L["skurearm"]! + "1000")
            o.append(L["trusted"]! + trustedTime())
        }
        return o
    }

    /// `12/4/2026 9:30:12 AM` (en-US) or `2026/12/04 9:30:12` (ja-JP), guest time (UTC).
    func trustedTime() -> String {
        let c = ISOTime.parts(now)
        if ja { return String(format: "%04d/%02d/%02d %d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!) }
        let h12 = c.hour! % 12 == 0 ? 12 : c.hour! % 12
        return "\(c.month!)/\(c.day!)/\(c.year!) \(h12):" + String(format: "%02d:%02d", c.minute!, c.second!) + (c.hour! < 12 ? " AM" : " PM")
    }

    func installationID(_ p: GuestState.Product) -> String { Licensing.installationID(p, computerName: s.os.computerName) }
}
