import Foundation

/// Operator commands typed over SSH, as `cmd.exe /c <command>` would run them on the guest.
struct RawCommands {
    let paths: GuestPaths
    let command: String
    let now: Date

    struct Output {
        var stdout = ""
        var stderr = ""
        var status: Int32 = 0
    }

    /// cmd.exe-like split: white space separates, double quotes group (and are removed).
    static func tokens(_ s: String) -> [String] {
        var out: [String] = [], cur = "", quoted = false, any = false
        for ch in s {
            if ch == "\"" { quoted.toggle(); any = true; continue }
            if !quoted && (ch == " " || ch == "\t") {
                if any || !cur.isEmpty { out.append(cur); cur = ""; any = false }
                continue
            }
            cur.append(ch)
        }
        if any || !cur.isEmpty { out.append(cur) }
        return out
    }

    /// `%windir%` and `%SystemRoot%` (any case) → `C:\Windows`.
    static func expand(_ s: String) -> String {
        var t = s
        for v in ["%windir%", "%systemroot%"] {
            while let r = t.range(of: v, options: .caseInsensitive) { t.replaceSubrange(r, with: "C:\\Windows") }
        }
        return t
    }

    static func baseName(_ t: String) -> String {
        let b = t.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? t
        let l = b.lowercased()
        return l.hasSuffix(".exe") ? String(l.dropLast(4)) : l
    }

    func run() -> Never {
        let s: GuestState
        do { s = try StateStore.read(paths) } catch {
            FileHandle.standardError.write(Data("esuctl-guest: \(error)\n".utf8)); exit(1)
        }
        let o = (try? dispatch(s)) ?? Output(stderr: "esuctl-guest: internal error\r\n", status: 1)
        let cp = s.os.codePage
        if !o.stderr.isEmpty { Out.write(Console.bytes(o.stderr, codePage: cp), fd: 2) }
        Delivery.send(Console.bytes(o.stdout, codePage: cp), exitStatus: o.status, faults: s.faults)
    }

    func dispatch(_ s: GuestState) throws -> Output {
        let toks = RawCommands.tokens(RawCommands.expand(command))
        guard let first = toks.first else { return Output() }
        let name = RawCommands.baseName(first)
        let rest = Array(toks.dropFirst())
        switch name {
        case "cscript": return try cscript(rest, s)
        case "slmgr", "slmgr.vbs", "wscript":
            // Without cscript, slmgr runs under WScript, which shows dialog boxes nobody sees over SSH.
            return Output(stdout: Console.lines([
                "slmgr.vbs was started without cscript; its messages went to dialog boxes that an SSH session cannot show.",
                "Run it as: cscript //nologo %windir%\\system32\\slmgr.vbs /dlv"]), status: 1)
        case "wmic": return wmic(rest, s)
        case "systeminfo": return Output(stdout: SystemText(s: s).systeminfo())
        case "hostname": return Output(stdout: s.os.computerName + "\r\n")
        default: return notRecognized(first, s)
        }
    }

    func notRecognized(_ word: String, _ s: GuestState) -> Output {
        let text = s.isJapanese
            ? "'\(word)' は、内部コマンドまたは外部コマンド、\r\n操作可能なプログラムまたはバッチ ファイルとして認識されていません。\r\n"
            : "'\(word)' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n"
        return Output(stderr: text, status: 1)
    }

    // MARK: cscript + slmgr

    func cscript(_ args: [String], _ s: GuestState) throws -> Output {
        var nologo = false
        var i = 0
        while i < args.count, args[i].hasPrefix("//") {
            if args[i].lowercased() == "//nologo" { nologo = true }
            i += 1
        }
        let banner = nologo ? "" : "Microsoft (R) Windows Script Host Version 5.8\r\nCopyright (C) Microsoft Corporation. All rights reserved.\r\n\r\n"
        guard i < args.count else {
            return Output(stdout: banner + "Usage: CScript scriptname.extension [option...] [arguments...]\r\n", status: 0)
        }
        let script = args[i].lowercased().replacingOccurrences(of: "/", with: "\\")
        let okPaths = ["slmgr.vbs", "slmgr", "c:\\windows\\system32\\slmgr.vbs", "c:\\windows\\system32\\slmgr"]
        guard okPaths.contains(script) else {
            return Output(stdout: banner + "Input Error: Can not find script file \"\(args[i])\".\r\n", status: 1)
        }
        var o = try slmgr(Array(args[(i + 1)...]))
        o.stdout = banner + o.stdout
        return o
    }

    func slmgr(_ a: [String]) throws -> Output {
        guard let opt = a.first, opt.hasPrefix("/") || opt.hasPrefix("-") else {
            return Output(stdout: Console.lines(["Invalid combination of command parameters.", ""] + usage()) + "\r\n", status: 1)
        }
        let o = String(opt.dropFirst()).lowercased()
        let p1 = a.count > 1 ? a[1] : nil
        let p2 = a.count > 2 ? a[2] : nil
        switch o {
        case "dlv", "dli":
            let st = try StateStore.read(paths)
            return Output(stdout: Slmgr(s: st, now: now).display(param: p1, verbose: o == "dlv"))
        case "ipk":
            guard let key = p1 else { return needs("ipk", "<Product Key>") }
            return try StateStore.update(paths) { st -> (Output, Bool) in
                switch Licensing.installKey(key, in: &st) {
                case .success(let pk):
                    // slmgr echoes the whole key; the simulator masks all but the last five characters
                    // so that no key reaches any output or log (deliberate deviation).
                    return (Output(stdout: "Installed product key XXXXX-XXXXX-XXXXX-XXXXX-\(pk) successfully.\r\n\r\n"), true)
                case .failure(let e): return (fail(e), false)
                }
            }
        case "ato":
            return try StateStore.update(paths) { st -> (Output, Bool) in
                guard let i = target(p1, st) else { return (Output(stdout: "Error: product not found.\r\n\r\n"), false) }
                var out = "Activating \(st.products[i].name) (\(st.products[i].activationId)) ...\r\n"
                switch Licensing.activate(index: i, in: &st) {
                case .success:
                    out += "Product activated successfully.\r\n\r\n"
                    return (Output(stdout: out), true)
                case .failure(let e):
                    var f = fail(e); f.stdout = out + f.stdout
                    return (f, false)
                }
            }
        case "dti":
            let st = try StateStore.read(paths)
            guard let i = target(p1, st) else { return Output(stdout: "Error: product not found.\r\n\r\n") }
            return Output(stdout: "Installation ID: \(Slmgr(s: st, now: now).installationID(st.products[i]))\r\n\r\n")
        case "atp":
            guard let cid = p1 else { return needs("atp", "<Confirmation ID>") }
            return try StateStore.update(paths) { st -> (Output, Bool) in
                guard let i = target(p2, st) else { return (Output(stdout: "Error: product not found.\r\n\r\n"), false) }
                switch Licensing.depositConfirmation(cid, index: i, in: &st) {
                case .success:
                    return (Output(stdout: "Confirmation ID for product \(st.products[i].activationId) deposited successfully.\r\n\r\n"), true)
                case .failure(let e): return (fail(e), false)
                }
            }
        default:
            return Output(stdout: Console.lines(["Unrecognized option: \(opt)", ""] + usage()) + "\r\n", status: 1)
        }
    }

    /// The product a command acts on: by Activation ID among products with a key, else the primary Windows SKU.
    func target(_ id: String?, _ s: GuestState) -> Int? {
        if let id {
            return s.products.firstIndex { $0.activationId.lowercased() == id.lowercased() && $0.partialProductKey != nil }
        }
        return s.products.firstIndex { !$0.isAddon && $0.applicationId == WindowsFacts.windowsAppId && $0.partialProductKey != nil }
    }

    func fail(_ e: HResultError) -> Output {
        Output(stdout: Console.lines(Slmgr.errorLines(e.code)) + "\r\n", status: e.exitStatus)
    }

    func needs(_ opt: String, _ param: String) -> Output {
        Output(stdout: Console.lines(["", "Error: option \(opt) needs \(param)"] + usage()) + "\r\n", status: 1)
    }

    /// The head of slmgr's usage text (the global options; the advanced and volume options are left out).
    func usage() -> [String] {
        ["Windows Software Licensing Management Tool",
         "Usage: slmgr.vbs [MachineName [User Password]] [<Option>]",
         "           MachineName: Name of remote machine (default is local machine)",
         "           User:        Account with required privilege on remote machine",
         "           Password:    password for the previous account",
         "",
         "Global Options:",
         "/ipk <Product Key>", "    Install product key (replaces existing key)",
         "/ato [Activation ID]", "    Activate Windows",
         "/dli [Activation ID | All]", "    Display license information (default: current license)",
         "/dlv [Activation ID | All]", "    Display detailed license information (default: current license)",
         "/xpr [Activation ID]", "    Expiration date for current license state"]
    }

    // MARK: wmic

    func wmic(_ a: [String], _ s: GuestState) -> Output {
        let words = a.map { $0.lowercased() }
        guard words.first == "qfe" else {
            return Output(stdout: "", stderr: "Invalid alias verb.\r\n", status: 44135)
        }
        let st = SystemText(s: s)
        if words.count >= 3, words[1] == "get" { return Output(stdout: st.wmicQfeGet(Array(a.dropFirst(2)))) }
        if words.count == 1 || words[1] == "list" { return Output(stdout: st.wmicQfeList()) }
        return Output(stdout: "", stderr: "Invalid Verb Switch.\r\n", status: 44135)
    }
}
