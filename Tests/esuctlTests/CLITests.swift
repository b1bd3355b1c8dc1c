import ESUCore
import Foundation
import Testing

@Suite struct CLIManners {
    @Test func noArgumentsIsAUsageError() throws {
        let r = try ESUCtl.run([])
        #expect(r.status == 2)
        #expect(r.stdout.contains("Usage: esuctl <command>"))
    }

    @Test func topLevelHelp() throws {
        for args in [["--help"], ["-h"], ["help"]] {
            let r = try ESUCtl.run(args)
            #expect(r.status == 0)
            for name in ["parse", "decide", "explain", "catalog", "lab", "audit", "completion"] { #expect(r.stdout.contains("  \(name) ")) }
        }
    }

    @Test(arguments: ["parse", "decide", "explain", "catalog", "lab", "audit", "completion", "status", "activate-offline", "report",
                      "collect", "sync", "plan", "apply", "exec", "discover"])
    func everyCommandHasHelp(_ name: String) throws {
        for args in [[name, "--help"], ["help", name]] {
            let r = try ESUCtl.run(args)
            #expect(r.status == 0)
            #expect(r.stdout.hasPrefix("Usage: esuctl \(name)"))
            #expect(r.stdout.contains("--help"))
            #expect(r.stdout.contains("Example: esuctl \(name)") || r.stdout.contains("Examples:\n  esuctl \(name)"), "\(name) --help has no example")
            #expect(r.stderr.isEmpty)
        }
    }

    @Test(arguments: [
        (["frobnicate"], "unknown command 'frobnicate'"),
        (["decide"], "missing --facts FILE"),
        (["decide", "--facts"], "option '--facts' needs a value"),
        (["decide", "--facts", "x.json", "--bogus"], "unknown option '--bogus'"),
        (["decide", "--facts", "x.json", "--now", "tomorrow"], "--now: 'tomorrow' is not a date"),
        (["decide", "--facts", "x.json", "--key-years", "1,two"], "--key-years: 'two' is not an ESU year"),
        (["parse"], "missing what to parse"),
        (["parse", "xml"], "'xml' is not a parser"),
        (["parse", "dlv", "a", "b"], "unexpected argument 'b'"),
        (["explain"], "missing CODE"),
        (["explain", "banana"], "'banana' is not an error code"),
        (["catalog"], "missing subcommand"),
        (["catalog", "edit"], "unknown command 'catalog edit'"),
        (["discover"], "missing --hyperv-host HOST"),
        (["discover", "--hyperv-host", "hv", "--limit", "x"], "discover asks one host"),
    ])
    func usageErrorsExitTwoOnStderr(_ args: [String], _ message: String) throws {
        let r = try ESUCtl.run(args)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
    }

    @Test func unreadableFileIsAnEsuctlFailure() throws {
        let r = try ESUCtl.run(["decide", "--facts", "/nonexistent/facts.json"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("cannot read '/nonexistent/facts.json': no such file"))
        #expect(r.stdout.isEmpty)
    }
}

@Suite struct DecideCommandTests {
    func facts(_ name: String) -> String { "docs/examples/facts/\(name).json" }

    @Test(arguments: [
        ("guest-fresh", 3, "actionRequired", "installSSU"),
        ("guest-prereqs-restart-pending", 3, "actionRequired", "restart"),
        ("guest-ja-year1", 3, "actionRequired", "installKey"),
        ("guest-licensed", 0, "compliant", nil),
        ("hyperv-host-2019", 0, "notApplicable", nil),
    ] as [(String, Int32, String, String?)])
    func examples(_ name: String, _ status: Int32, _ state: String, _ kind: String?) throws {
        let r = try ESUCtl.run(["decide", "--facts", facts(name), "--now", "2026-01-15", "--key-years", "1,2,3", "--allow-restart"])
        #expect(r.status == status, "\(r.stderr)")
        let d = try #require(try ESUCtl.json(r) as? [String: Any])
        #expect(d["state"] as? String == state)
        #expect((d["nextStep"] as? [String: Any])?["kind"] as? String == kind)
        if kind == nil { #expect(d["nextStep"] is NSNull) }
    }

    @Test func restartNotAllowedIsBlocked() throws {
        let r = try ESUCtl.run(["decide", "--facts", facts("guest-prereqs-restart-pending"), "--now", "2026-01-15", "--key-years", "1,2,3"])
        #expect(r.status == 4)
        let d = try #require(try ESUCtl.json(r) as? [String: Any])
        #expect(d["state"] as? String == "blocked")
        #expect((d["remedy"] as? String)?.contains("--allow-restart") == true)
    }

    @Test func plannedStepsShowTheWholeSequence() throws {
        let r = try ESUCtl.run(["decide", "--facts", facts("guest-fresh"), "--now", "2026-01-15T08:00:00+09:00", "--key-years", "year1,year2", "--allow-restart"])
        let d = try #require(try ESUCtl.json(r) as? [String: Any])
        let kinds = (d["plannedSteps"] as? [[String: Any]])?.map { $0["kind"] as? String ?? "?" }
        #expect(kinds == ["installSSU", "installPrep", "restart", "installKey", "activate", "installKey", "activate"])
    }

    @Test func factsFromStdin() throws {
        let data = try Data(contentsOf: ESUCtl.root.appendingPathComponent(facts("guest-licensed")))
        let r = try ESUCtl.run(["decide", "--facts", "-", "--now", "2026-12-04", "--key-years", "1,2,3"], stdin: data)
        #expect(r.status == 0)
        let d = try #require(try ESUCtl.json(r) as? [String: Any])
        #expect((d["warnings"] as? [String])?.contains { $0.contains("ended on 2026-10-13") } == true)
    }

    @Test func malformedFactsNameTheField() throws {
        var text = try String(contentsOf: ESUCtl.root.appendingPathComponent(facts("guest-fresh")), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"version\": \"6.3.9600\"", with: "\"version\": \"six\"")
        let r = try ESUCtl.run(["decide", "--facts", "-"], stdin: Data(text.utf8))
        #expect(r.status == 1)
        #expect(r.stderr.contains("facts field 'os.version'"), "\(r.stderr)")
        let bad = try ESUCtl.run(["decide", "--facts", "-"], stdin: Data("{\"schema\": 2}".utf8))
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("facts field"))
        let empty = try ESUCtl.run(["decide", "--facts", "-"], stdin: Data())
        #expect(empty.status == 1 && empty.stderr.contains("not valid JSON"))
    }

    @Test func catalogOverrideIsUsed() throws {
        // A catalog in which Year 3 starts later: the same host is compliant on 2026-01-15.
        let builtIn = try String(contentsOf: ESUCtl.root.appendingPathComponent("Sources/ESUCore/Resources/esu-catalog.json"), encoding: .utf8)
        let shifted = builtIn.replacingOccurrences(of: "\"coverageStart\": \"2025-10-15\"", with: "\"coverageStart\": \"2026-02-01\"")
        #expect(shifted != builtIn)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("esuctl-cat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("catalog.json")
        try Data(shifted.utf8).write(to: file)
        var factsText = try String(contentsOf: ESUCtl.root.appendingPathComponent(facts("guest-licensed")), encoding: .utf8)
        factsText = factsText.replacingOccurrences(of: "\"HR2VB\",\n      \"licenseStatus\": \"licensed\"", with: "null,\n      \"licenseStatus\": \"unlicensed\"")
        let args = ["decide", "--facts", "-", "--now", "2026-01-15", "--key-years", "1,2,3"]
        #expect(try ESUCtl.run(args, stdin: Data(factsText.utf8)).status == 3)
        #expect(try ESUCtl.run(args + ["--catalog", file.path], stdin: Data(factsText.utf8)).status == 0)
        let broken = dir.appendingPathComponent("broken.json")
        try Data(builtIn.replacingOccurrences(of: "\"windowsApplicationId\"", with: "\"windowsAppId\"").utf8).write(to: broken)
        let r = try ESUCtl.run(args + ["--catalog", broken.path], stdin: Data(factsText.utf8))
        #expect(r.status == 1)
        #expect(r.stderr.contains("catalog field 'windowsApplicationId': missing"))
    }
}

@Suite struct ParseCommandTests {
    @Test func hotfixesFromFileAndStdin() throws {
        let path = "Tests/ESUCoreTests/Fixtures/hotfixes/systeminfo-en-2012r2-greeklocale-01.txt"
        let r = try ESUCtl.run(["parse", "hotfixes", path])
        #expect(r.status == 0)
        let list = try #require((try ESUCtl.json(r) as? [String: Any])?["hotfixes"] as? [String])
        #expect(list.count == 31)
        #expect(list.contains("KB2959936") && list.contains("KB3014442"))
        #expect(list == list.sorted { Int($0.dropFirst(2))! < Int($1.dropFirst(2))! })
        let piped = try ESUCtl.run(["parse", "hotfixes", "-"], stdin: try Data(contentsOf: ESUCtl.root.appendingPathComponent(path)))
        #expect(piped.stdout == r.stdout)
    }

    @Test func hotfixesInCp932() throws {
        let text = "ホットフィックス:   2 ホットフィックスがインストールされています。\r\n   [01]: KB5029368\r\n   [02]: KB5017220\r\n"
        let r = try ESUCtl.run(["parse", "hotfixes"], stdin: text.data(using: .shiftJIS)!)
        #expect(try (ESUCtl.json(r) as? [String: Any])?["hotfixes"] as? [String] == ["KB5017220", "KB5029368"])
    }

    @Test func dlvJapaneseCp932() throws {
        let path = ESUCtl.root.appendingPathComponent("Tests/ESUCoreTests/Fixtures/slmgr/ja-dlv-all.txt")
        let utf8 = try String(contentsOf: path, encoding: .utf8)
        let r = try ESUCtl.run(["parse", "dlv"], stdin: utf8.data(using: .shiftJIS)!)
        #expect(r.status == 0)
        let products = try #require((try ESUCtl.json(r) as? [String: Any])?["products"] as? [[String: Any]])
        let esu = try #require(products.first { $0["activationId"] as? String == "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4" })
        #expect(esu["licenseStatus"] as? String == "notification")
        for key in ["name", "description", "activationId", "applicationId", "partialProductKey", "licenseStatus"] {
            #expect(esu.keys.contains(key), "\(key)")
        }
    }

    @Test(arguments: [Data(), Data([0, 1, 2, 255, 254, 0x80, 0x81]), Data(repeating: 0x41, count: 3_000_000)])
    func garbageGivesEmptyResults(_ input: Data) throws {
        for what in ["dlv", "hotfixes"] {
            let r = try ESUCtl.run(["parse", what], stdin: input)
            #expect(r.status == 0)
            let object = try #require(try ESUCtl.json(r) as? [String: Any])
            #expect((object[what == "dlv" ? "products" : "hotfixes"] as? [Any])?.isEmpty == true)
        }
    }
}

@Suite struct ExplainAndCatalogCommandTests {
    @Test func explainHuman() throws {
        let r = try ESUCtl.run(["explain", "-1073418124"], environment: ["NO_COLOR": "1"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("0xC004F074  SL_E_VL_BINDING_SERVICE_UNAVAILABLE\n"))
        #expect(r.stdout.contains("Remedy:"))
        #expect(!r.stdout.contains("\u{1B}["))
    }

    @Test func explainJSON() throws {
        let r = try ESUCtl.run(["explain", "C004C008", "--json"])
        let e = try #require(try ESUCtl.json(r) as? [String: Any])
        #expect(e["code"] as? String == "0xC004C008")
        #expect(e["retry"] as? String == "afterRemedy")
    }

    @Test func catalogShowJSONIsTheBuiltInCatalog() throws {
        let r = try ESUCtl.run(["catalog", "show", "--json"])
        #expect(r.status == 0)
        let shown = try Catalog.load(json: Data(r.stdout.utf8))
        #expect(shown == (try Catalog.builtIn()))
    }

    @Test func catalogShowHuman() throws {
        let r = try ESUCtl.run(["catalog", "show"])
        #expect(r.status == 0)
        for id in ["c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4", "e3e2690b-931c-4c80-b1ff-dffba8a81988", "55b1dd2d-2209-4ea0-a805-06298bad25b3", "KB5017220", "KB5017221"] {
            #expect(r.stdout.contains(id))
        }
    }
}
