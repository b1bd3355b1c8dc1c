import Foundation
import Testing
@testable import ESUCore

// MARK: - Fixtures and expected values

private func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/slmgr/\(name)", withExtension: nil),
                           "fixture \(name) missing from the test bundle")
    let data = try Data(contentsOf: url)
    return try #require(String(data: data, encoding: .utf8))
}

private func gid(_ s: String) -> ActivationID { try! ActivationID(s) }

private enum IDs {
    static let app = gid("55c92734-d682-4d71-983e-d6ec3f16059f")
    static let os = gid("b3ca044e-a358-4d68-9883-aaa2941aca99")
    static let datacenter = gid("00091344-1ea4-4f37-b789-01750ba6988c")
    static let year1 = gid("c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")
    static let year2 = gid("e3e2690b-931c-4c80-b1ff-dffba8a81988")
    static let year3 = gid("55b1dd2d-2209-4ea0-a805-06298bad25b3")
}

private enum Expected {
    static let osName = "Windows(R), ServerStandard edition"
    static let mak = "Windows(R) Operating System, VOLUME_MAK channel"
    static let iidOS = "012345678901234567890123456789012345678901234567890123456789012"
    static let iidY1 = "987654321098765432109876543210987654321098765432109876543210987"
    static func esu(_ year: Int) -> String {
        "Windows(R), Server-ESU-Year\(year) add-on for ServerStandard,ServerDatacenter,ServerSolution,ServerStorageStandard,ServerStorageWorkgroup"
    }

    static let os = SlmgrProduct(
        name: osName, description: mak, activationId: IDs.os, applicationId: IDs.app,
        extendedPID: "06401-02976-006-000072-03-1041-9600.0000-3042016", productKeyChannel: "Volume:MAK",
        installationID: iidOS, partialProductKey: "3V66T", licenseStatus: .licensed, licenseStatusText: "Licensed",
        remainingWindowsRearmCount: 1000, remainingSKURearmCount: 1000, trustedTime: "12/4/2026 9:30:12 AM")
    static let year1 = SlmgrProduct(
        name: esu(1), description: mak, activationId: IDs.year1, applicationId: IDs.app,
        extendedPID: "06401-04148-000-000146-03-1041-9600.0000-2872023", productKeyChannel: "Volume:MAK",
        installationID: iidY1, partialProductKey: "KX7QB", licenseStatus: .licensed, licenseStatusText: "Licensed",
        remainingWindowsRearmCount: 1000, remainingSKURearmCount: 1000, trustedTime: "12/4/2026 9:30:12 AM")
    static let year2NotInUse = SlmgrProduct(
        name: esu(2), description: mak, activationId: IDs.year2, applicationId: IDs.app,
        licenseStatus: .unlicensed, licenseStatusText: "Unlicensed", licenseNotInUse: true)
    static let year3NotInUse = SlmgrProduct(
        name: esu(3), description: mak, activationId: IDs.year3, applicationId: IDs.app,
        licenseStatus: .unlicensed, licenseStatusText: "Unlicensed", licenseNotInUse: true)
    static let dli = SlmgrProduct(name: osName, description: mak, partialProductKey: "3V66T",
                                  licenseStatus: .licensed, licenseStatusText: "Licensed")

    static let kmsOS = SlmgrProduct(
        name: osName, description: "Windows(R) Operating System, VOLUME_KMSCLIENT channel", activationId: IDs.os,
        applicationId: IDs.app, extendedPID: "06401-00206-271-394032-03-1041-9600.0000-3042016",
        productKeyChannel: "Volume:GVLK", installationID: iidOS, partialProductKey: "Y4TGP", licenseStatus: .licensed,
        licenseStatusText: "Licensed", remainingWindowsRearmCount: 1000, remainingSKURearmCount: 1000,
        graceMinutesRemaining: 259200, trustedTime: "12/4/2026 9:30:12 AM")
    static let kmsYear1 = SlmgrProduct(
        name: esu(1), description: mak, activationId: IDs.year1, applicationId: IDs.app,
        licenseStatus: .unlicensed, licenseStatusText: "Unlicensed", licenseNotInUse: true)

    static func grace(_ name: String, _ desc: String, _ aid: ActivationID, _ key: String, _ status: LicenseStatus,
                      _ text: String, minutes: Int? = nil, reason: String? = nil, rearm: Int? = nil) -> SlmgrProduct {
        SlmgrProduct(name: name, description: desc, activationId: aid, applicationId: IDs.app, partialProductKey: key,
                     licenseStatus: status, licenseStatusText: text, remainingWindowsRearmCount: rearm,
                     remainingSKURearmCount: rearm, graceMinutesRemaining: minutes, notificationReason: reason)
    }
    static let graceAll: [SlmgrProduct] = [
        grace(osName, "Windows(R) Operating System, RETAIL channel", IDs.os, "3V66T", .oobGrace, "Initial grace period",
              minutes: 43200, rearm: 1000),
        grace("Windows(R), ServerDatacenter edition", "Windows(R) Operating System, VOLUME_KMSCLIENT channel",
              IDs.datacenter, "W3GGN", .ootGrace,
              "Additional grace period (KMS license expired or hardware out of tolerance)", minutes: 20160),
        grace(esu(1), mak, IDs.year1, "KX7QB", .notification, "Notification", reason: "0xC004F056"),
        grace(esu(2), mak, IDs.year2, "PQ2RT", .nonGenuineGrace, "Non-genuine grace period.", minutes: 4320),
        grace(esu(3), mak, IDs.year3, "HJ4MW", .extendedGrace, "Extended grace period", minutes: 1),
    ]

    // Japanese: labels it knows; rearm lines (label unconfirmed) and the notification reason by structure.
    static let jaOS: SlmgrProduct = {
        var p = os
        p.licenseStatusText = "ライセンスされています"
        p.trustedTime = nil // "信頼された時刻" is not a recognised label, and a date is not read by shape
        return p
    }()
    static let jaYear1 = SlmgrProduct(
        name: esu(1), description: mak, activationId: IDs.year1, applicationId: IDs.app,
        extendedPID: "06401-04148-000-000146-03-1041-9600.0000-2872023", productKeyChannel: "Volume:MAK",
        installationID: iidY1, partialProductKey: "KX7QB", licenseStatus: .notification, licenseStatusText: "通知",
        notificationReason: "0xC004F056")
    static let jaYear2 = SlmgrProduct(
        name: esu(2), description: mak, activationId: IDs.year2, applicationId: IDs.app,
        licenseStatus: .unlicensed, licenseStatusText: "ライセンスされていません", licenseNotInUse: true)
    static let jaDli = SlmgrProduct(name: osName, description: mak, partialProductKey: "3V66T",
                                    licenseStatus: .licensed, licenseStatusText: "ライセンスされています")

    // German: nothing but "Name" is a known label; everything else comes from structure.
    static let deOS = SlmgrProduct(
        name: osName, description: mak, activationId: IDs.os, applicationId: IDs.app,
        extendedPID: "06401-02976-006-000072-03-1031-9600.0000-3042016", productKeyChannel: "Volume:MAK",
        installationID: iidOS, partialProductKey: "3V66T", licenseStatus: .unknown, licenseStatusText: "Lizenziert",
        remainingWindowsRearmCount: 1000, remainingSKURearmCount: 999)
    static let deYear1 = SlmgrProduct(
        name: esu(1), description: mak, activationId: IDs.year1, applicationId: IDs.app,
        licenseStatus: .unknown, licenseStatusText: "Nicht lizenziert", licenseNotInUse: true)

    // French: not even the name label is known.
    static let frOS = SlmgrProduct(
        name: osName, description: mak, activationId: IDs.os, applicationId: IDs.app,
        extendedPID: "06401-02976-006-000072-03-1036-9600.0000-3042016", productKeyChannel: "Volume:MAK",
        installationID: iidOS, partialProductKey: "3V66T", licenseStatus: .unknown, licenseStatusText: "Licencié",
        remainingWindowsRearmCount: 1000, remainingSKURearmCount: 1000)
    static let frYear3 = SlmgrProduct(
        name: esu(3), description: mak, activationId: IDs.year3, applicationId: IDs.app,
        licenseStatus: .unknown, licenseStatusText: "Sans licence", licenseNotInUse: true)
}

struct FixtureCase: Sendable, CustomTestStringConvertible {
    let file: String
    let version: String?
    let products: [SlmgrProduct]
    var testDescription: String { file }

    static let all: [FixtureCase] = [
        .init(file: "en-dlv-single.txt", version: "6.3.9600.17809", products: [Expected.os]),
        .init(file: "en-dlv-all-esu.txt", version: "6.3.9600.17809",
              products: [Expected.os, Expected.year1, Expected.year2NotInUse, Expected.year3NotInUse]),
        .init(file: "en-dli.txt", version: nil, products: [Expected.dli]),
        .init(file: "en-dlv-kms-client.txt", version: "6.3.9600.17809", products: [Expected.kmsOS, Expected.kmsYear1]),
        .init(file: "en-dlv-grace.txt", version: "6.3.9600.17809", products: Expected.graceAll),
        .init(file: "ja-dlv-all.txt", version: "6.3.9600.17809",
              products: [Expected.jaOS, Expected.jaYear1, Expected.jaYear2]),
        .init(file: "ja-dli.txt", version: nil, products: [Expected.jaDli]),
        .init(file: "de-dlv-all.txt", version: "6.3.9600.17809", products: [Expected.deOS, Expected.deYear1]),
        .init(file: "fr-dlv-all.txt", version: "6.3.9600.17809", products: [Expected.frOS, Expected.frYear3]),
    ]
}

/// Ways the same text reaches us from Windows: line ends, padding, BOM, colon width.
enum Variant: String, CaseIterable, Sendable {
    case asStored, lf, mixedLineEnds, strayCR, trailingSpaces, bom, fullWidthColon, fullWidthColonNoSpace
    case leadingBlankLines, noFinalNewline

    func apply(_ text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        switch self {
        case .asStored: return text
        case .lf: return lines.joined(separator: "\n")
        case .mixedLineEnds:
            return lines.enumerated().map { i, l in l + (i % 2 == 0 ? "\r\n" : "\n") }.joined()
        case .strayCR: return lines.joined(separator: "\r\r\n")
        case .trailingSpaces: return lines.map { $0 + "  \t " }.joined(separator: "\r\n")
        case .bom: return "\u{FEFF}" + text
        case .fullWidthColon, .fullWidthColonNoSpace:
            return lines.map { line in
                guard let r = line.range(of: ": ") ?? line.range(of: ":") else { return line }
                return line.replacingCharacters(in: r, with: self == .fullWidthColon ? "： " : "：")
            }.joined(separator: "\r\n")
        case .leadingBlankLines: return "\r\n\r\n" + text
        case .noFinalNewline:
            var t = text
            while t.hasSuffix("\r\n") || t.hasSuffix("\n") { t.removeLast() }
            return t
        }
    }
}

// MARK: - Fixtures in every variant

@Suite("slmgr parser: fixtures")
struct SlmgrFixtureTests {
    @Test("each fixture parses to exactly the expected products", arguments: FixtureCase.all)
    func fixtureParses(_ c: FixtureCase) throws {
        let report = SlmgrParser.parse(try fixture(c.file))
        #expect(report.serviceVersion == c.version)
        #expect(report.products.count == c.products.count)
        for (got, want) in zip(report.products, c.products) { #expect(got == want) }
    }

    @Test("line ends, padding, BOM and colon width do not change the result",
          arguments: FixtureCase.all, Variant.allCases)
    func variantParses(_ c: FixtureCase, _ v: Variant) throws {
        let report = SlmgrParser.parse(v.apply(try fixture(c.file)))
        #expect(report == SlmgrReport(serviceVersion: c.version, products: c.products))
    }

    @Test("cp932 (Shift_JIS) bytes decoded back parse like the UTF-8 text",
          arguments: ["ja-dlv-all.txt", "ja-dli.txt", "en-dlv-all-esu.txt"])
    func cp932RoundTrip(_ file: String) throws {
        let text = try fixture(file)
        let bytes = try #require(text.data(using: .shiftJIS), "fixture must be encodable as cp932")
        if file.hasPrefix("ja") { #expect(bytes != Data(text.utf8), "Japanese text must differ in cp932") }
        let decoded = try #require(String(data: bytes, encoding: .shiftJIS))
        let expected = try #require(FixtureCase.all.first { $0.file == file })
        #expect(SlmgrParser.parse(decoded) == SlmgrReport(serviceVersion: expected.version, products: expected.products))
    }
}

// MARK: - Status texts

@Suite("slmgr parser: license status")
struct SlmgrStatusTests {
    static let table: [(String, LicenseStatus)] = [
        ("Licensed", .licensed),
        ("Unlicensed", .unlicensed),
        ("Initial grace period", .oobGrace),
        ("Additional grace period (KMS license expired or hardware out of tolerance)", .ootGrace),
        ("Non-genuine grace period.", .nonGenuineGrace),
        ("Non-genuine grace period", .nonGenuineGrace),
        ("Notification", .notification),
        ("Extended grace period", .extendedGrace),
        ("LICENSED", .licensed),
        ("ライセンスされています", .licensed),
        ("ライセンスされていません", .unlicensed),
        ("通知", .notification),
        ("Lizenziert", .unknown),
        ("Licensed, probably", .unknown),
        ("Unlicensed?", .unknown),
        ("ライセンスされて", .unknown),
    ]

    @Test("status text maps to LicenseStatus and is kept as printed", arguments: table)
    func statusLine(_ text: String, _ status: LicenseStatus) {
        let report = SlmgrParser.parse("Name: X\r\nDescription: Y\r\nPartial Product Key: 3V66T\r\nLicense Status: \(text)\r\n")
        #expect(report.products.count == 1)
        #expect(report.products.first?.licenseStatus == status)
        #expect(report.products.first?.licenseStatusText == text)
    }

    @Test("a status line with no text gives unknown and no text")
    func emptyStatus() {
        let p = SlmgrParser.parse("Name: X\nLicense Status:\n").products
        #expect(p.count == 1)
        #expect(p.first?.licenseStatus == .unknown)
        #expect(p.first?.licenseStatusText == nil)
    }

    static let minutesTable: [(String, Int?)] = [
        ("Time remaining: 43200 minute(s) (30 day(s))", 43200),
        ("Timebased activation expiration: 525600 minute(s) (365 day(s))", 525600),
        ("Volume activation expiration: 259200 minute(s) (180 day(s))", 259200),
        ("Time remaining: 0 minute(s) (0 day(s))", 0),
        ("Time remaining: soon", nil),
    ]

    @Test("grace minutes come from the leading number", arguments: minutesTable)
    func graceMinutes(_ line: String, _ minutes: Int?) {
        let p = SlmgrParser.parse("Name: X\nPartial Product Key: 3V66T\nLicense Status: Initial grace period\n\(line)\n").products
        #expect(p.first?.graceMinutesRemaining == minutes)
        #expect(p.first?.licenseStatus == .oobGrace)
    }
}

// MARK: - Hostile and broken input

@Suite("slmgr parser: malformed input")
struct SlmgrMalformedTests {
    @Test("empty and white-space-only text has no products",
          arguments: ["", "\r\n", "\n\n\n", "   \t  ", "\u{FEFF}", "\r", "\u{3000}\r\n"])
    func empty(_ text: String) {
        #expect(SlmgrParser.parse(text) == SlmgrReport(serviceVersion: nil, products: []))
    }

    @Test("only the version line gives the version and no products",
          arguments: ["Software licensing service version: 6.3.9600.17809\r\n",
                      "Software licensing service version: 6.3.9600.17809",
                      "ソフトウェア ライセンス サービスのバージョン: 6.3.9600.17809\r\n\r\n",
                      "Version des Softwarelizenzierungsdienstes: 6.3.9600.17809\n"])
    func versionOnly(_ text: String) {
        #expect(SlmgrParser.parse(text) == SlmgrReport(serviceVersion: "6.3.9600.17809", products: []))
    }

    @Test("an slmgr error message is not a product")
    func errorMessage() {
        let text = "Error: 0xC004F074 The Software Licensing Service reported that the computer could not be activated.\r\n"
        #expect(SlmgrParser.parse(text).products.isEmpty)
    }

    @Test("text cut after the Activation ID line keeps the block with what was printed")
    func truncatedAfterID() throws {
        let full = try fixture("en-dlv-all-esu.txt")
        let cut = try #require(full.range(of: "Activation ID: e3e2690b-931c-4c80-b1ff-dffba8a81988\r\n"))
        let report = SlmgrParser.parse(String(full[..<cut.upperBound]))
        #expect(report.products.count == 3)
        #expect(Array(report.products.prefix(2)) == [Expected.os, Expected.year1])
        let last = try #require(report.products.last)
        #expect(last == SlmgrProduct(name: Expected.esu(2), description: Expected.mak, activationId: IDs.year2))
        #expect(last.license == Facts.License(activationId: IDs.year2, name: Expected.esu(2),
                                              description: Expected.mak, licenseStatus: .unknown))
    }

    @Test("text cut in the middle of a value keeps the partial value and invents nothing")
    func truncatedMidValue() throws {
        let full = try fixture("en-dlv-single.txt")
        let cut = try #require(full.range(of: "License Status: Lic"))
        let p = try #require(SlmgrParser.parse(String(full[..<cut.upperBound])).products.first)
        #expect(p.licenseStatusText == "Lic")
        #expect(p.licenseStatus == .unknown)
        #expect(p.partialProductKey == "3V66T")
        #expect(p.remainingWindowsRearmCount == nil)
    }

    @Test("text cut mid-GUID gives no Activation ID")
    func truncatedMidGUID() throws {
        let full = try fixture("en-dlv-single.txt")
        let cut = try #require(full.range(of: "Activation ID: b3ca044e-a358"))
        let p = try #require(SlmgrParser.parse(String(full[..<cut.upperBound])).products.first)
        #expect(p.name == Expected.osName)
        #expect(p.activationId == nil)
        #expect(p.license == nil)
    }

    @Test("every prefix of /dlv all parses to a prefix of its products, never more")
    func everyPrefix() throws {
        let full = try fixture("en-dlv-all-esu.txt")
        let complete = SlmgrParser.parse(full).products
        let chars = Array(full)
        var prefix = ""
        for c in chars {
            prefix.append(c)
            let got = SlmgrParser.parse(prefix).products
            #expect(got.count <= complete.count)
            // All but the last parsed block are complete and exactly right.
            if got.count >= 2 { #expect(Array(got.dropLast()) == Array(complete.prefix(got.count - 1))) }
            for (g, w) in zip(got, complete) {
                if let id = g.activationId { #expect(id == w.activationId) }
            }
        }
    }

    @Test("text starting mid-block keeps the labelled fields it has")
    func startsMidBlock() {
        let text = "Activation ID: c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4\r\nApplication ID: 55c92734-d682-4d71-983e-d6ec3f16059f\r\nPartial Product Key: KX7QB\r\nLicense Status: Licensed\r\n"
        let p = SlmgrParser.parse(text).products
        #expect(p == [SlmgrProduct(activationId: IDs.year1, applicationId: IDs.app, partialProductKey: "KX7QB",
                                   licenseStatus: .licensed, licenseStatusText: "Licensed")])
    }

    @Test("a malformed Activation ID is dropped, not guessed")
    func badGUID() {
        let p = SlmgrParser.parse("Name: X\nActivation ID: c0a2ea62-12ad-435b-ab4f-c9bfab48dbcZ\nLicense Status: Licensed\n").products
        #expect(p.count == 1)
        #expect(p.first?.activationId == nil)
        #expect(p.first?.licenseStatus == .licensed)
    }

    @Test("upper-case and braced GUIDs are read lower-case")
    func guidCase() {
        let p = SlmgrParser.parse("Name: X\nActivation ID: {C0A2EA62-12AD-435B-AB4F-C9BFAB48DBC4}\nApplication ID: 55C92734-D682-4D71-983E-D6EC3F16059F\n").products
        #expect(p.first?.activationId?.value == "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")
        #expect(p.first?.applicationId == IDs.app)
    }

    /// A fixed byte pattern (a linear congruential sequence with a constant seed): deterministic noise.
    static func garbage(count: Int, seed: UInt32) -> [UInt8] {
        var x = seed
        return (0..<count).map { _ in x = x &* 1_664_525 &+ 1_013_904_223; return UInt8(truncatingIfNeeded: x >> 24) }
    }

    @Test("binary garbage decoded lossily has no products", arguments: [UInt32(1), 42, 0xDEAD_BEEF])
    func binaryGarbage(_ seed: UInt32) {
        let text = String(decoding: Self.garbage(count: 256 * 1024, seed: seed), as: UTF8.self)
        let report = SlmgrParser.parse(text)
        #expect(report.products.isEmpty)
        #expect(report.serviceVersion == nil)
    }

    @Test("garbage around a real block does not disturb it")
    func garbageAround() throws {
        let noise = String(decoding: Self.garbage(count: 64 * 1024, seed: 7).map { $0 == 0x0A ? 0x20 : $0 }, as: UTF8.self)
        let text = noise + "\r\n\r\n" + (try fixture("en-dlv-single.txt")) + "\r\n" + noise
        let report = SlmgrParser.parse(text)
        #expect(report.products == [Expected.os])
    }

    @Test("NUL bytes and control characters inside lines do not crash")
    func controlCharacters() {
        let text = "Name: Win\u{0}dows\r\nDescription: \u{1B}[31mred\r\nLicense Status: Licensed\u{7}\r\n"
        let p = SlmgrParser.parse(text).products
        #expect(p.count == 1)
        #expect(p.first?.name == "Win\u{0}dows")
        #expect(p.first?.licenseStatus == .unknown) // the bell character makes it a different text
    }
}

// MARK: - Size

@Suite("slmgr parser: size", .serialized)
struct SlmgrSizeTests {
    @Test("a 50 MB /dlv all parses linearly and completely")
    func fiftyMegabytes() throws {
        let block = try fixture("en-dlv-all-esu.txt")
        let body = String(block.drop { $0 != "N" }) // without the version line
        let copies = 50 * 1024 * 1024 / body.utf8.count + 1
        let text = block + String(repeating: body, count: copies)
        #expect(text.utf8.count >= 50 * 1024 * 1024)
        let clock = ContinuousClock()
        var report = SlmgrReport()
        let elapsed = clock.measure { report = SlmgrParser.parse(text) }
        #expect(report.serviceVersion == "6.3.9600.17809")
        #expect(report.products.count == 4 * (copies + 1))
        #expect(report.products.last == Expected.year3NotInUse)
        #expect(report.products[4 * copies + 1] == Expected.year1)
        // Not a timing test: about 2.5 s here when idle, 25 s on a loaded CI machine; a quadratic
        // parser takes hours at this size, and only that trips the bound.
        #expect(elapsed < .seconds(300), "took \(elapsed)")
    }

    @Test("a single 10 MB line without newlines has no products and returns quickly")
    func tenMegabyteLine() {
        let text = String(repeating: "Name: Windows(R) ", count: 10 * 1024 * 1024 / 17 + 1)
        let clock = ContinuousClock()
        var report = SlmgrReport()
        let elapsed = clock.measure { report = SlmgrParser.parse(text) }
        #expect(report.products.isEmpty)
        #expect(elapsed < .seconds(120), "took \(elapsed)") // only a quadratic scan of the line trips this
    }

    @Test("a 10 MB line between real blocks is skipped without losing them")
    func hugeLineBetweenBlocks() throws {
        let single = try fixture("en-dlv-single.txt")
        let text = single + String(repeating: "x", count: 10 * 1024 * 1024) + "\r\n\r\n" + String(single.drop { $0 != "N" })
        let report = SlmgrParser.parse(text)
        #expect(report.products == [Expected.os, Expected.os])
    }
}

// MARK: - Conversion and encoding

@Suite("slmgr parser: facts and JSON")
struct SlmgrConversionTests {
    @Test("license fills Facts.License from a /dlv block")
    func licenseFromDlv() throws {
        let l = try #require(Expected.year1.license)
        #expect(l == Facts.License(activationId: IDs.year1, applicationId: IDs.app, name: Expected.esu(1),
                                   description: Expected.mak, partialProductKey: "KX7QB", licenseStatus: .licensed))
        let unused = try #require(Expected.year2NotInUse.license)
        #expect(unused.partialProductKey == nil)
        #expect(unused.licenseStatus == .unlicensed)
    }

    @Test("license is nil without an Activation ID (/dli)")
    func licenseFromDli() throws {
        let report = SlmgrParser.parse(try fixture("en-dli.txt"))
        #expect(report.products.count == 1)
        #expect(report.products[0].license == nil)
        #expect(report.licenses.isEmpty)
    }

    @Test("report finds ESU products by Activation ID")
    func lookup() throws {
        let report = SlmgrParser.parse(try fixture("ja-dlv-all.txt"))
        #expect(report.product(activationId: IDs.year1)?.licenseStatus == .notification)
        #expect(report.product(activationId: IDs.year2)?.licenseNotInUse == true)
        #expect(report.product(activationId: IDs.year3) == nil)
        #expect(report.licenses.map(\.activationId) == [IDs.os, IDs.year1, IDs.year2])
    }

    @Test("JSON uses the agreed key names, status as its raw value, nulls for absent values")
    func jsonKeys() throws {
        let data = try JSONEncoder().encode(Expected.year2NotInUse)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["name", "description", "activationId", "applicationId", "extendedPID",
                                     "productKeyChannel", "installationID", "partialProductKey", "licenseStatus",
                                     "licenseStatusText", "remainingWindowsRearmCount", "remainingSKURearmCount",
                                     "graceMinutesRemaining", "notificationReason", "trustedTime", "licenseNotInUse"])
        #expect(object["licenseStatus"] as? String == "unlicensed")
        #expect(object["activationId"] as? String == "e3e2690b-931c-4c80-b1ff-dffba8a81988")
        #expect(object["partialProductKey"] is NSNull)
    }

    @Test("a report survives a JSON round trip", arguments: FixtureCase.all)
    func roundTrip(_ c: FixtureCase) throws {
        let report = SlmgrParser.parse(try fixture(c.file))
        let back = try JSONDecoder().decode(SlmgrReport.self, from: try JSONEncoder().encode(report))
        #expect(back == report)
    }

    @Test("a product's JSON decodes into Facts.License")
    func decodesAsFactsLicense() throws {
        let data = try JSONEncoder().encode(Expected.os)
        let l = try JSONDecoder().decode(Facts.License.self, from: data)
        #expect(l == Expected.os.license)
    }
}
