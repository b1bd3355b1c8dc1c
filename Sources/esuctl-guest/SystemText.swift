import Foundation

/// `systeminfo` and `wmic qfe` text. systeminfo prints the fields the controller reads (a subset of
/// the real report, same layout: labels padded to column 28, the `Hotfix(s):` block numbered `[01]:`).
struct SystemText {
    let s: GuestState

    /// Console columns a string takes (full-width characters take two).
    static func width(_ t: String) -> Int {
        t.unicodeScalars.reduce(0) { $0 + (($1.value >= 0x1100 && !(0xFF61...0xFF9F).contains($1.value)) ? 2 : 1) }
    }
    static func pad(_ t: String, _ w: Int) -> String { t + String(repeating: " ", count: max(0, w - width(t))) }

    func usDate(_ day: String) -> String {
        let p = day.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return "" }
        return "\(p[1])/\(p[2])/\(p[0])"
    }

    func systeminfo() -> String {
        let ja = s.isJapanese
        let boot = ISOTime.parse(s.lastBootUpTime).map(ISOTime.parts)
        let build = s.os.version.split(separator: ".").last.map(String.init) ?? ""
        var rows: [(String, String)]
        let bootText: String
        if let b = boot {
            if ja {
                bootText = String(format: "%04d/%02d/%02d, %d:%02d:%02d", b.year!, b.month!, b.day!, b.hour!, b.minute!, b.second!)
            } else {
                let h12 = b.hour! % 12 == 0 ? 12 : b.hour! % 12
                bootText = "\(b.month!)/\(b.day!)/\(b.year!), \(h12):" + String(format: "%02d:%02d", b.minute!, b.second!) + (b.hour! < 12 ? " AM" : " PM")
            }
        } else { bootText = "" }
        let fixes = s.hotfixes
        if ja {
            rows = [("ホスト名:", s.os.computerName), ("OS 名:", s.os.caption),
                    ("OS バージョン:", "\(s.os.version) N/A ビルド \(build)"), ("OS 製造元:", "Microsoft Corporation"),
                    ("OS 構成:", "スタンドアロン サーバー"), ("システム起動時間:", bootText),
                    ("システム ロケール:", "ja;日本語"),
                    ("ホットフィックス:", "\(fixes.count) ホットフィックスがインストールされています。")]
        } else {
            rows = [("Host Name:", s.os.computerName), ("OS Name:", s.os.caption),
                    ("OS Version:", "\(s.os.version) N/A Build \(build)"), ("OS Manufacturer:", "Microsoft Corporation"),
                    ("OS Configuration:", "Standalone Server"), ("System Boot Time:", bootText),
                    ("System Locale:", "en-us;English (United States)"),
                    ("Hotfix(s):", "\(fixes.count) Hotfix(s) Installed.")]
        }
        var lines = [""]
        for (k, v) in rows { lines.append(SystemText.pad(k, 27) + v) }
        for (n, f) in fixes.enumerated() { lines.append(String(repeating: " ", count: 27) + String(format: "[%02d]: ", n + 1) + f.id) }
        return Console.lines(lines)
    }

    /// `wmic qfe get <props>`: a header row and one row per update, each column as wide as its
    /// longest value plus two spaces, then an empty line.
    func wmicQfeGet(_ props: [String]) -> String {
        let names = props.flatMap { $0.split(separator: ",").map { String($0) } }.filter { !$0.isEmpty }
        let columns = names.map { n -> (String, [String]) in (canonical(n), s.hotfixes.map { value(canonical(n), $0) }) }
        return table(columns)
    }

    /// `wmic qfe list` (the FULL list is a value list; the default LIST is this table).
    func wmicQfeList() -> String {
        let cols = ["Caption", "CSName", "Description", "FixComments", "HotFixID", "InstallDate", "InstalledBy", "InstalledOn", "Name", "ServicePackInEffect", "Status"]
        return table(cols.map { c in (c, s.hotfixes.map { value(c, $0) }) })
    }

    func canonical(_ n: String) -> String {
        let all = ["Caption", "CSName", "Description", "FixComments", "HotFixID", "InstallDate", "InstalledBy", "InstalledOn", "Name", "ServicePackInEffect", "Status"]
        return all.first { $0.lowercased() == n.lowercased() } ?? n
    }

    func value(_ col: String, _ f: GuestState.Hotfix) -> String {
        switch col {
        case "Caption": return "http://support.microsoft.com/?kbid=\(f.id.dropFirst(2))"
        case "CSName": return s.os.computerName
        case "Description": return f.description ?? "Update"
        case "HotFixID": return f.id
        case "InstalledBy": return f.installedOn == nil ? "" : "NT AUTHORITY\\SYSTEM"
        case "InstalledOn": return f.installedOn.map(usDate) ?? ""
        default: return ""
        }
    }

    func table(_ columns: [(String, [String])]) -> String {
        let widths = columns.map { c in max(SystemText.width(c.0), c.1.map(SystemText.width).max() ?? 0) + 2 }
        var lines = [zip(columns, widths).map { SystemText.pad($0.0.0, $0.1) }.joined()]
        for r in 0..<s.hotfixes.count { lines.append(zip(columns, widths).map { SystemText.pad($0.0.1[r], $0.1) }.joined()) }
        lines.append("")
        return Console.lines(lines)
    }
}
