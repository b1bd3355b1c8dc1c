import ESUCore
import Foundation
import Testing

@Suite struct KBTests {
    @Test(arguments: [("KB5017220", 5017220), ("kb5029368", 5029368), (" KB958488 ", 958488)])
    func parses(_ text: String, _ number: UInt32) throws {
        let kb = try KB(text)
        #expect(kb.number == number)
        #expect(kb.description == "KB\(number)")
    }

    @Test(arguments: ["", "KB", "5017220", "KB12345", "KB123456789", "KB50172x0", "KB-5017220", "K B5017220", "KB５０１７２２０"])
    func rejects(_ text: String) {
        #expect(throws: DomainError.invalidKB(text)) { try KB(text) }
    }

    @Test func bareNumberOnlyWhenAllowed() throws {
        #expect(try KB("5017220", allowBareNumber: true).number == 5017220)
    }

    @Test func ordersNumerically() throws {
        #expect(try KB("KB999999") < KB("KB1000000"))
    }
}

@Suite struct ActivationIDTests {
    @Test(arguments: ["C0A2EA62-12AD-435B-AB4F-C9BFAB48DBC4", "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4",
                      "{c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4}", " c0a2ea62-12AD-435b-ab4f-c9bfab48dbc4 "])
    func normalisesToLowerCase(_ text: String) throws {
        let id = try ActivationID(text)
        #expect(id.description == "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")
        #expect(id == Fixture.year1)
    }

    @Test(arguments: ["", "c0a2ea62-12ad-435b-ab4f", "c0a2ea6212ad435bab4fc9bfab48dbc4", "g0a2ea62-12ad-435b-ab4f-c9bfab48dbc4",
                      "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4-", "c0a2ea621-2ad-435b-ab4f-c9bfab48dbc4"])
    func rejects(_ text: String) {
        #expect(throws: DomainError.invalidActivationID(text)) { try ActivationID(text) }
    }

    @Test func decodesFromJSONCaseInsensitively() throws {
        let decoded = try JSONDecoder().decode([ActivationID].self, from: Data(#"["55B1DD2D-2209-4EA0-A805-06298BAD25B3"]"#.utf8))
        #expect(decoded == [Fixture.year3])
    }
}

@Suite struct ProductKeyTests {
    static let sample = "BBBBB-CCCCC-DDDDD-FFFFF-GH7K9"

    @Test func acceptsKeyAlphabet() throws {
        let key = try ProductKey(Self.sample.lowercased())
        #expect(key.revealForStdin() == Self.sample)
        #expect(key.partial == "GH7K9")
    }

    @Test func everyTextFormIsMasked() throws {
        let key = try ProductKey(Self.sample)
        var dumped = ""
        dump(key, to: &dumped)
        let forms = [key.description, key.debugDescription, "\(key)", String(describing: key), String(reflecting: key),
                     dumped, "\([key])", "\(Optional(key) as Any)"]
        for form in forms {
            #expect(!form.contains("BBBBB-CCCCC"), "leaked in: \(form)")
            #expect(form.contains("GH7K9"))
        }
        #expect(key.masked == "XXXXX-XXXXX-XXXXX-XXXXX-GH7K9")
    }

    @Test(arguments: ["", "BBBBB-CCCCC-DDDDD-FFFFF", "BBBBB-CCCCC-DDDDD-FFFFF-GH7K", "BBBBB-CCCCC-DDDDD-FFFFF-GH7K9-BBBBB",
                      "ABBBB-CCCCC-DDDDD-FFFFF-GH7K9", "BBBBB-CCCCC-DDDDD-FFFFF-GH7K0", "BBBBBCCCCCDDDDDFFFFFGH7K9",
                      "BBBBB CCCCC DDDDD FFFFF GH7K9"])
    func rejects(_ text: String) {
        do {
            _ = try ProductKey(text)
            Issue.record("accepted \(text)")
        } catch {
            // The error message must not repeat the (possibly real) key.
            if text.count > 10 { #expect(!error.description.contains(String(text.prefix(11)))) }
            #expect(error.description.contains("malformed"))
        }
    }

    @Test func maskShowsOnlyLastFive() {
        #expect(ProductKey.mask("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE") == "XXXXX-XXXXX-XXXXX-XXXXX-EEEEE")
        #expect(ProductKey.mask("abc") == "XXXXX")
    }
}

@Suite struct OSVersionTests {
    @Test(arguments: [("6.3.9600", "6.3.9600"), ("10.0.17763", "10.0.17763"), ("6.3.9600.20000", "6.3.9600")])
    func parses(_ text: String, _ printed: String) throws {
        #expect(try OSVersion(text).description == printed)
    }

    @Test(arguments: ["", "6.3", "6..9600", "6.3.9600.1.2", "six.three.9600", "-6.3.9600", "6.3.9600 "])
    func rejects(_ text: String) {
        if text == "6.3.9600 " { #expect((try? OSVersion(text)) != nil); return } // whitespace is trimmed
        #expect(throws: DomainError.invalidOSVersion(text)) { try OSVersion(text) }
    }

    @Test func comparesComponentWise() throws {
        #expect(try OSVersion("6.2.9200") < OSVersion("6.3.9600"))
        #expect(try OSVersion("6.3.9600") < OSVersion("10.0.14393"))
    }
}

@Suite struct ESUYearTests {
    @Test(arguments: [("1", 1), ("year2", 2), ("Year 3", 3), ("y1", 1), (" 2 ", 2)])
    func parses(_ text: String, _ n: Int) throws {
        #expect(try ESUYear(parsing: text).number == n)
    }

    @Test(arguments: ["0", "10", "two", "", "year", "-1"])
    func rejects(_ text: String) {
        #expect(throws: DomainError.self) { try ESUYear(parsing: text) }
    }
}

@Suite struct CalendarDayTests {
    @Test func parsesAndPrints() throws {
        #expect(try CalendarDay("2026-10-13").description == "2026-10-13")
        #expect(try CalendarDay("2024-02-29T10:00:00Z") == CalendarDay(year: 2024, month: 2, day: 29))
    }

    @Test(arguments: ["2023-02-29", "2026-13-01", "2026-00-10", "2026-1-5", "26-01-05", "2026/01/05", "", "2026-04-31"])
    func rejects(_ text: String) {
        #expect(throws: DomainError.invalidDate(text)) { try CalendarDay(text) }
    }

    @Test func countsDays() throws {
        #expect(try CalendarDay("2026-10-13").days(until: CalendarDay("2026-12-04")) == 52)
        #expect(try CalendarDay("2024-02-28").days(until: CalendarDay("2024-03-01")) == 2)
        #expect(try CalendarDay("2023-12-31").days(until: CalendarDay("2023-01-01")) == -364)
    }

    @Test func timestampGivesUTCDay() throws {
        #expect(try Timestamp("2026-10-13T23:30:00-02:00").day == CalendarDay("2026-10-14"))
        #expect(try Timestamp("2026-10-14T01:00:00+09:00").day == CalendarDay("2026-10-13"))
        #expect(try Timestamp("2026-10-14T01:00:00.250Z").description == "2026-10-14T01:00:00Z")
    }
}

@Suite struct ProductKeyScrubTests {
    @Test(arguments: [
        ("slmgr /ipk BBBBB-CCCCC-DDDDD-FFFFF-GH7K9 done", "slmgr /ipk XXXXX-XXXXX-XXXXX-XXXXX-GH7K9 done"),
        ("bbbbb-ccccc-ddddd-fffff-gh7k9", "XXXXX-XXXXX-XXXXX-XXXXX-gh7k9"),
        ("two: BBBBB-CCCCC-DDDDD-FFFFF-GH7K9,QQQQQ-RRRRR-TTTTT-VVVVV-WX234.", "two: XXXXX-XXXXX-XXXXX-XXXXX-GH7K9,XXXXX-XXXXX-XXXXX-XXXXX-WX234."),
        ("no key here: AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", "no key here: AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"), // A, E are not key characters
        ("id c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4", "id c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4"),
        ("ライセンス BBBBB-CCCCC-DDDDD-FFFFF-GH7K9", "ライセンス XXXXX-XXXXX-XXXXX-XXXXX-GH7K9"),
        ("", ""),
    ])
    func scrubsKeyShapedRuns(_ text: String, _ expected: String) {
        #expect(ProductKey.scrub(text) == expected)
    }
}
