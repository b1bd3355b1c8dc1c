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
