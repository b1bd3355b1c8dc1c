import ESUCore
import Foundation
import Testing

/// Test-side builders: short names for the facts the rules read, so each table row stays one line.
enum Fixture {
    static let catalog: Catalog = try! Catalog.builtIn()

    static func day(_ s: String) -> CalendarDay { try! CalendarDay(s) }
    static func kb(_ s: String) -> KB { try! KB(s) }
    static func id(_ s: String) -> ActivationID { try! ActivationID(s) }
    static func year(_ n: Int) -> ESUYear { try! ESUYear(n) }

    static let year1 = id("c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4")
    static let year2 = id("e3e2690b-931c-4c80-b1ff-dffba8a81988")
    static let year3 = id("55b1dd2d-2209-4ea0-a805-06298bad25b3")
    static let yearIDs = [year1, year2, year3]

    enum YearState: CaseIterable { case absent, keyInstalled, licensed }

    static func facts(version: String = "6.3.9600", caption: String = "Microsoft Windows Server 2012 R2 Standard",
                      productType: Int = 3, kbs: [String] = [], pending: Bool = false,
                      years: [YearState] = [.absent, .absent, .absent], arc: Bool = false,
                      extraLicenses: [Facts.License] = [], host: String = "guest01") -> Facts {
        var licenses: [Facts.License] = [
            Facts.License(activationId: id("b3ca044e-a358-4d68-9883-aaa2941aca99"),
                          applicationId: catalog.windowsApplicationId, name: "Windows(R), ServerStandard edition",
                          partialProductKey: "3V66T", licenseStatus: .licensed),
        ]
        for (i, state) in years.enumerated() where state != .absent {
            licenses.append(Facts.License(activationId: yearIDs[i], applicationId: catalog.windowsApplicationId,
                                          name: "Windows(R), Server-ESU-Year\(i + 1) add-on",
                                          partialProductKey: "ABCD\(i + 2)",
                                          licenseStatus: state == .licensed ? .licensed : .notification))
        }
        return Facts(host: host, collectedAt: collectedAt,
                     os: .init(caption: caption, version: try! OSVersion(version), productType: productType, uiLanguage: "en-US"),
                     hotfixes: kbs.map { Facts.Hotfix(id: kb($0)) },
                     pendingReboot: .init(pending: pending, reasons: pending ? ["CBS RebootPending"] : []),
                     licenses: licenses + extraLicenses, arc: .init(esuEnabled: arc))
    }

    static let collectedAt = try! Timestamp("2026-01-15T09:00:00Z")
    static let prereqs = ["KB5029368", "KB5017220"]

    static func context(keys: [Int] = [1, 2, 3], today: String = "2026-01-15", allowRestart: Bool = true) -> DecisionContext {
        DecisionContext(catalog: catalog, keyYears: Set(keys.map(year)), today: day(today), allowRestart: allowRestart)
    }

    static func fixtureURL(_ path: String) -> URL {
        Bundle.module.url(forResource: "Fixtures/" + path, withExtension: nil)!
    }

    static func fixtureText(_ path: String) -> String {
        String(decoding: try! Data(contentsOf: fixtureURL(path)), as: UTF8.self)
    }
}
