import Foundation

extension Catalog {
    /// The catalog shipped with this build of esuctl.
    public static func builtIn() throws(CatalogError) -> Catalog {
        guard let url = Bundle.module.url(forResource: "esu-catalog", withExtension: "json"),
              let data = try? Data(contentsOf: url)
        else { throw .malformed(field: "(document)", problem: "is missing from the installation: esu-catalog.json was not found beside esuctl; reinstall it or pass --catalog FILE") }
        return try load(json: data)
    }
}
