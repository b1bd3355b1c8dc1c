import ESUCore
import Foundation
import Testing

@Suite struct CatalogTests {
    let catalog = Fixture.catalog

    @Test func builtInHoldsDesignFacts() throws {
        #expect(catalog.windowsApplicationId.value == "55c92734-d682-4d71-983e-d6ec3f16059f")
        #expect(catalog.minimumSSUDate == Fixture.day("2023-08-08"))
        let r2 = try #require(catalog.eligible(OSVersion("6.3.9600")))
        #expect(r2.prepPackage.kb == Fixture.kb("KB5017220"))
        #expect(r2.ssuToInstall == Fixture.kb("KB5029368"))
        #expect(r2.ssus.map(\.kb).contains(Fixture.kb("KB5079233")))
        let w2012 = try #require(catalog.eligible(OSVersion("6.2.9200")))
        #expect(w2012.prepPackage.kb == Fixture.kb("KB5017221"))
        #expect(w2012.ssuToInstall == Fixture.kb("KB5029369"))
        #expect(catalog.years.map(\.activationId) == Fixture.yearIDs)
        #expect(catalog.years.map(\.coverageStart.description) == ["2023-10-11", "2024-10-09", "2025-10-15"])
        #expect(catalog.years.map(\.coverageEnd.description) == ["2024-10-08", "2025-10-14", "2026-10-13"])
        #expect(catalog.programEnd == Fixture.day("2026-10-13"))
        for v in ["10.0.14393", "10.0.17763", "10.0.20348", "10.0.26100"] {
            #expect(catalog.inSupport(try OSVersion(v)) != nil, "\(v)")
        }
        #expect(catalog.confusable(Fixture.id("553673ed-6ddf-419c-a153-b760283472fd")) == "Windows Server 2008/2008 R2 ESU")
        #expect(catalog.confusable(Fixture.id("77db037b-95c3-48d7-a3ab-a9c6d41093e0")) == "Windows 7 ESU")
        #expect(catalog.confusable(Fixture.year1) == nil)
    }

    @Test func roundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(catalog)
        #expect(try Catalog.load(json: data) == catalog)
    }

    /// Each row breaks the built-in catalog in one place; the error must name that field.
    @Test(arguments: [
        (#""asOf": "2026-12-04""#, #""asOf": "04/12/2026""#, "asOf"),
        (#""catalogVersion": "2026.12.1""#, #""catalogVersion": " ""#, "catalogVersion"),
        (#""activationId": "e3e2690b-931c-4c80-b1ff-dffba8a81988""#, #""activationId": "e3e2690b-931c""#, "years[1].activationId"),
        (#""activationId": "e3e2690b-931c-4c80-b1ff-dffba8a81988""#, #""activationId": "c0a2ea62-12ad-435b-ab4f-c9bfab48dbc4""#, "years[1].activationId"),
        (#""year": 2,"#, #""year": 3,"#, "years[1].year"),
        (#""coverageEnd": "2024-10-08""#, #""coverageEnd": "2023-10-01""#, "years[0].coverageEnd"),
        (#""coverageStart": "2024-10-09""#, #""coverageStart": "2024-10-01""#, "years[1].coverageStart"),
        (#""ssuToInstall": "KB5029368""#, #""ssuToInstall": "KB5011111""#, "eligibleOS[0].ssuToInstall"),
        (#""version": "6.2.9200""#, #""version": "6.3.9600""#, "eligibleOS[1].version"),
        (#""version": "6.2.9200""#, #""version": "six""#, "eligibleOS[1].version"),
        (#""kb": "KB5017220""#, #""kb": "5017220""#, "eligibleOS[0].prepPackage.kb"),
        (#""windowsApplicationId": "55c92734-d682-4d71-983e-d6ec3f16059f","#, "", "windowsApplicationId"),
        (#""minimumSSUDate": "2023-08-08","#, #""minimumSSUDate": 20230808,"#, "minimumSSUDate"),
        (#""prefix": "553673ed""#, #""prefix": "553673""#, "confusableActivationIdPrefixes[0].prefix"),
        (#""prefix": "553673ed""#, #""prefix": "c0a2ea62""#, "confusableActivationIdPrefixes[0].prefix"),
    ])
    func malformedNamesTheField(_ original: String, _ replacement: String, _ field: String) throws {
        let text = Fixture.fixtureCatalogText()
        #expect(text.contains(original), "fixture drifted: \(original)")
        let broken = text.replacingOccurrences(of: original, with: replacement)
        do {
            _ = try Catalog.load(json: Data(broken.utf8))
            Issue.record("accepted a catalog with a broken \(field)")
        } catch {
            guard case .malformed(let reported, _) = error else { Issue.record("\(error)"); return }
            #expect(reported == field)
            #expect(error.description.contains("'\(field)'"))
        }
    }

    @Test(arguments: ["", "{", "[]", "null", "\u{00}\u{01}garbage"])
    func nonCatalogsAreClearErrors(_ text: String) {
        #expect(throws: CatalogError.self) { try Catalog.load(json: Data(text.utf8)) }
    }

    @Test func emptyListsAreRejected() throws {
        let text = Fixture.fixtureCatalogText()
        let start = text.range(of: #""years": ["#)!
        let end = text.range(of: "],", range: start.upperBound..<text.endIndex)!
        let broken = text.replacingCharacters(in: start.lowerBound..<end.upperBound, with: #""years": [],"#)
        #expect(throws: CatalogError.malformed(field: "years", problem: "lists no ESU year")) {
            try Catalog.load(json: Data(broken.utf8))
        }
    }
}

extension Fixture {
    /// The shipped catalog file's text, straight from the source tree.
    static func fixtureCatalogText() -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/ESUCore/Resources/esu-catalog.json")
        return String(decoding: try! Data(contentsOf: url), as: UTF8.self)
    }
}
