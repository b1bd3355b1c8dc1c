import ESUCore
import Foundation

/// `esuctl parse dlv|hotfixes [FILE|-]`: run a parser on saved Windows output.
enum ParseCommand: Command {
    static let name = "parse"
    static let summary = "Parse saved Windows output (slmgr /dlv, hotfix listings) into JSON"
    static let help = """
    Usage: esuctl parse dlv [FILE|-]
           esuctl parse hotfixes [FILE|-]

    Reads text printed by Windows and writes what esuctl understands of it as JSON. The file may be
    UTF-8, UTF-16 (with BOM) or cp932 (Shift_JIS, Japanese consoles); CRLF or LF. Without FILE, or
    with -, reads standard input.

      dlv        output of `cscript //nologo slmgr.vbs /dlv` (also /dlv all, /dli), any language:
                 {"products":[{"name","description","activationId","applicationId",
                               "partialProductKey","licenseStatus", ...}]}
      hotfixes   `wmic qfe list`, `wmic qfe get HotFixID`, `Get-HotFix`, `systeminfo`, or
                 `dism /online /get-packages`: {"hotfixes":["KB...", ...]} (sorted, unique)

    Options:
      -h, --help  Show this help.

    Example: esuctl parse dlv slmgr-dlv.txt
    """

    static func run(_ args: inout Arguments) throws -> ExitStatus {
        if args.wantsHelp { Terminal.out(help); return .ok }
        guard let what = args.popWord() else { throw UsageError.missing("what to parse: dlv or hotfixes") }
        let files = args.operands()
        try args.finish()
        guard files.count <= 1 else { throw UsageError.unexpectedArgument(files[1]) }
        switch what {
        case "dlv":
            let text = WindowsText.decode(try Input.read(files.first))
            Terminal.out(Terminal.json(SlmgrParser.parse(text)))
        case "hotfixes":
            struct Result: Encodable { let hotfixes: [KB] }
            let text = WindowsText.decode(try Input.read(files.first))
            Terminal.out(Terminal.json(Result(hotfixes: HotfixParser.parse(text))))
        default:
            throw UsageError.invalidValue(option: "parse", problem: "'\(what)' is not a parser; use dlv or hotfixes")
        }
        return .ok
    }
}
