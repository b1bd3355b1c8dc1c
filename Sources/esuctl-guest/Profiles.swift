import Foundation

/// What the simulated Windows knows about updates and licensing (its own copy; not the controller's catalog).
enum WindowsFacts {
    static let windowsAppId = "55c92734-d682-4d71-983e-d6ec3f16059f"
    static let esuIds: [Int: String] = [
        1: "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4",
        2: "e3e2690b-931c-4c80-b1ff-dffba8a81988",
        3: "55b1dd2d-2209-4ea0-a805-06298bad25b3",
    ]
    static func esuYear(of id: String) -> Int? { esuIds.first { $0.value == id.lowercased() }?.key }

    static let useLicenseURL = "https://activation-v2.sls.microsoft.com/SLActivateProduct/SLActivateProduct.asmx?configextension=Retail"
    static let validationURL = "https://validation-v2.sls.microsoft.com/SLWGA/slwga.asmx"

    enum Kind { case ssu, prep }
    /// Packages the simulator knows: KB → (OS version it applies to, kind).
    static let packages: [String: (os: String, kind: Kind)] = [
        "KB5029368": ("6.3.9600", .ssu), "KB5030329": ("6.3.9600", .ssu), "KB5079233": ("6.3.9600", .ssu),
        "KB5017220": ("6.3.9600", .prep),
        "KB5029369": ("6.2.9200", .ssu), "KB5017221": ("6.2.9200", .prep),
    ]
    static func prepKB(for version: String) -> String? { version == "6.2.9200" ? "KB5017221" : version == "6.3.9600" ? "KB5017220" : nil }

    static func esuProduct(year: Int) -> GuestState.Product {
        .init(activationId: esuIds[year]!, applicationId: windowsAppId,
              name: "Windows(R), Server-ESU-Year\(year) add-on for ServerStandard,ServerDatacenter,ServerSolution,ServerStorageStandard,ServerStorageWorkgroup",
              description: "Windows(R) Operating System, VOLUME_MAK channel", partialProductKey: nil,
              licenseStatus: 0, extendedPID: nil, keySha256: nil, isAddon: true)
    }

    /// Adds the three ESU add-ons if the prep package is installed and the guest has restarted since.
    static func materializeESU(_ s: inout GuestState) {
        guard let prep = prepKB(for: s.os.version), s.hasHotfix(prep),
              !s.awaitingRestart.contains(where: { $0.uppercased() == prep }) else { return }
        for year in 1...3 where s.product(esuIds[year]!) == nil { s.products.append(esuProduct(year: year)) }
    }
}

enum Profiles {
    static let names = ["hyperv-host-2019", "fresh", "ssu-only", "prereqs-no-restart", "key-installed", "licensed",
                        "japanese", "arc", "server2012", "mak-exhausted"]

    static func make(_ profile: String, now: Date, keyHashes: [(Int, String)], restartSeconds: Int, lang: String?) -> GuestState? {
        let boot = ISOTime.format(now.addingTimeInterval(-13 * 86_400))
        let r2Base: [GuestState.Hotfix] = [.init(id: "KB2919355", installedOn: "2014-04-08", description: "Update"),
                                           .init(id: "KB4571703", installedOn: nil, description: "Update")]
        let osR2 = GuestState.OSInfo(caption: "Microsoft Windows Server 2012 R2 Standard", version: "6.3.9600", productType: 3,
                                     uiLanguage: "en-US", codePage: 437, computerName: "WIN-GUEST",
                                     licensingServiceVersion: "6.3.9600.17809")
        let osProduct = GuestState.Product(activationId: "b3ca044e-a358-4d68-9883-aaa2941aca99", applicationId: WindowsFacts.windowsAppId,
                                           name: "Windows(R), ServerStandard edition",
                                           description: "Windows(R) Operating System, VOLUME_MAK channel",
                                           partialProductKey: "3V66T", licenseStatus: 1,
                                           extendedPID: "06401-02976-006-000072-03-1041-9600.0000-3042016", keySha256: nil, isAddon: false)
        let ssu = GuestState.Hotfix(id: "KB5029368", installedOn: "2023-08-09", description: "Update")
        let prep = GuestState.Hotfix(id: "KB5017220", installedOn: "2023-10-02", description: "Update")
        let remaining = profile == "mak-exhausted" ? 0 : 5
        var s = GuestState(profile: profile, os: osR2, hotfixes: r2Base, pendingReboot: [], awaitingRestart: [],
                           products: [osProduct],
                           acceptedKeys: keyHashes.map { .init(year: $0.0, sha256: $0.1.lowercased(), remainingActivations: remaining, wrongEdition: false) },
                           arcEsuEnabled: false, lastBootUpTime: boot, downUntil: nil, restartSeconds: restartSeconds, faults: Faults())
        switch profile {
        case "fresh": break
        case "japanese":
            s.os.uiLanguage = "ja-JP"; s.os.codePage = 932
        case "ssu-only":
            s.hotfixes.append(ssu)
        case "prereqs-no-restart":
            s.hotfixes += [ssu, prep]
            s.pendingReboot = ["CBS RebootPending"]; s.awaitingRestart = ["KB5017220"]
        case "key-installed", "licensed", "arc", "mak-exhausted":
            s.hotfixes += [ssu, prep]
            WindowsFacts.materializeESU(&s)
            if profile == "key-installed", let i = s.product(WindowsFacts.esuIds[1]!) {
                s.products[i].partialProductKey = "KX7QB"; s.products[i].licenseStatus = 5
                s.products[i].extendedPID = "06401-04148-000-000146-03-1041-9600.0000-2872023"
                s.products[i].keySha256 = keyHashes.first { $0.0 == 1 }?.1.lowercased()
            }
            if profile == "licensed" {
                for (year, pk) in [(1, "KX7QB"), (2, "M4T9D"), (3, "R2W8C")] {
                    let i = s.product(WindowsFacts.esuIds[year]!)!
                    s.products[i].partialProductKey = pk; s.products[i].licenseStatus = 1
                    s.products[i].extendedPID = "06401-04148-000-00014\(year)-03-1041-9600.0000-2872023"
                    s.products[i].keySha256 = keyHashes.first { $0.0 == year }?.1.lowercased()
                }
            }
            if profile == "arc" { s.arcEsuEnabled = true }
        case "server2012":
            s.os = .init(caption: "Microsoft Windows Server 2012 Standard", version: "6.2.9200", productType: 3, uiLanguage: "en-US",
                         codePage: 437, computerName: "WIN-GUEST", licensingServiceVersion: "6.2.9200.16384")
            s.hotfixes = [.init(id: "KB2999226", installedOn: "2016-02-10", description: "Update")]
            s.products[0].extendedPID = "06401-02976-006-000072-03-1041-9200.0000-3042016"
        case "hyperv-host-2019":
            s.os = .init(caption: "Microsoft Windows Server 2019 Datacenter", version: "10.0.17763", productType: 3, uiLanguage: "en-US",
                         codePage: 437, computerName: "HV-HOST", licensingServiceVersion: "10.0.17763.1")
            s.hotfixes = [.init(id: "KB5005112", installedOn: "2021-08-10", description: "Update"),
                          .init(id: "KB5079234", installedOn: "2026-03-10", description: "Security Update")]
            s.products = [.init(activationId: "34e1ae55-27f8-4950-8877-7a03be5fb181", applicationId: WindowsFacts.windowsAppId,
                                name: "Windows(R), ServerDatacenter edition",
                                description: "Windows(R) Operating System, VOLUME_MAK channel", partialProductKey: "Q9F2T",
                                licenseStatus: 1, extendedPID: "03612-03937-000-000000-03-1033-17763.0000-0012019",
                                keySha256: nil, isAddon: false)]
        default:
            return nil
        }
        if let lang {
            s.os.uiLanguage = lang
            s.os.codePage = lang.lowercased().hasPrefix("ja") ? 932 : 437
        }
        return s
    }
}
