import Foundation

/// The exec request and the bootstrap of `docs/agent-protocol.md` sections 1–3, checked byte for byte.
enum Bootstrap {
    static let commandPrefix = "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "

    /// Section 2, verbatim, lines joined with LF.
    static let template = [
        "$ErrorActionPreference = 'Stop'",
        "$l = @($input | ForEach-Object { [string]$_ })",
        #"function Fail($c, $t) { $b = [Text.Encoding]::UTF8.GetBytes('{"protocol":1,"agent":null,"verb":null,"ok":false,"data":null,"error":{"code":"' + $c + '","text":"' + $t + '"}}'); $o = [Console]::OpenStandardOutput(); $o.Write($b, 0, $b.Length); $o.Flush(); exit 2 }"#,
        "if ($l.Count -lt 3 -or $l[0] -ne 'esuctl-agent 1') { Fail 'protocol' 'stdin does not start with esuctl-agent 1' }",
        "$s = [Convert]::FromBase64String($l[1])",
        "$h = -join ([Security.Cryptography.SHA256]::Create().ComputeHash($s) | ForEach-Object { $_.ToString('x2') })",
        "if ($h -ne '@@SHA256@@') { Fail 'hash' 'agent script hash mismatch' }",
        "$a = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($l[2]))",
        "$k = $null; if ($l.Count -gt 3 -and $l[3]) { $k = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($l[3])) }",
        "& ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString($s))) $a $k",
    ].joined(separator: "\n")

    /// True when the command is addressed to PowerShell at all (then it must be the exact agent exec).
    static func isPowerShell(_ command: String) -> Bool {
        let first = command.split(separator: " ", maxSplits: 1).first.map(String.init)?.lowercased() ?? ""
        let base = first.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? first
        return base == "powershell.exe" || base == "powershell"
    }

    /// The agent hash the exec command's bootstrap holds, or nil when the command line or the
    /// bootstrap differs from the protocol page in any byte. LF or CRLF line ends and one trailing
    /// line end are accepted (PowerShell runs them the same).
    static func expectedHash(fromCommand command: String) -> String? {
        guard command.hasPrefix(commandPrefix) else { return nil }
        let b64 = String(command.dropFirst(commandPrefix.count))
        guard !b64.isEmpty, !b64.contains(" "), let raw = B64.decode(b64), var text = UTF16LE.decode(raw) else { return nil }
        if text.contains("\r\n") { text = text.replacingOccurrences(of: "\r\n", with: "\n") }
        if text.hasSuffix("\n") { text.removeLast() }
        let parts = template.components(separatedBy: "@@SHA256@@")
        guard parts.count == 2, text.hasPrefix(parts[0]), text.hasSuffix(parts[1]),
              text.utf8.count == parts[0].utf8.count + 64 + parts[1].utf8.count else { return nil }
        let hash = String(decoding: Array(text.utf8)[parts[0].utf8.count..<(parts[0].utf8.count + 64)], as: UTF8.self)
        return Hex.isLowerHex64(hash) ? hash : nil
    }

    /// Standard input split into lines (LF, CR tolerated before it), as `$input` gives them.
    static func stdinLines(_ data: [UInt8]) -> [String] {
        // Split on the bytes: a Swift String holds "\r\n" as one Character, which "\n" does not match.
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> String in
            let l = line.last == 0x0D ? line.dropLast() : line[...]
            return String(decoding: l, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
