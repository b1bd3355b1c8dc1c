import Foundation

/// Every domain fact esuctl relies on, as data: which Windows versions need ESU, which updates are
/// prerequisites, which Activation ID belongs to which ESU year. Shipped as `esu-catalog.json`
/// and replaceable with `--catalog FILE` when Microsoft publishes something new.
public struct Catalog: Codable, Equatable, Sendable {
    public struct PrepPackage: Codable, Equatable, Sendable {
        public let kb: KB
        /// File-name pattern of the .msu, for finding it in a payload directory.
        public let file: String?
    }

    public struct ServicingStackUpdate: Codable, Equatable, Sendable {
        public let kb: KB
        public let released: CalendarDay
    }

    public struct EligibleOS: Codable, Equatable, Sendable {
        public let name: String
        public let version: OSVersion
        public let prepPackage: PrepPackage
        /// The SSU esuctl installs when none qualifying is present.
        public let ssuToInstall: KB
        public let ssus: [ServicingStackUpdate]
    }

    public struct InSupportOS: Codable, Equatable, Sendable {
        public let name: String
        public let version: OSVersion
    }

    public struct Year: Codable, Equatable, Sendable {
        public let year: ESUYear
        public let activationId: ActivationID
        public let coverageStart: CalendarDay
        public let coverageEnd: CalendarDay
    }

    public struct ConfusableID: Codable, Equatable, Sendable {
        public let prefix: String
        public let belongsTo: String
    }

    public let catalogVersion: String
    public let asOf: CalendarDay
    public let program: String
    public let windowsApplicationId: ActivationID
    public let minimumSSUDate: CalendarDay
    public let eligibleOS: [EligibleOS]
    public let inSupportOS: [InSupportOS]
    public let years: [Year]
    public let confusableActivationIdPrefixes: [ConfusableID]

    /// Decodes and validates a catalog; every failure names the offending field.
    public static func load(json data: Data) throws(CatalogError) -> Catalog {
        let catalog: Catalog
        do {
            catalog = try JSONDecoder().decode(Catalog.self, from: data)
        } catch let error as DecodingError {
            throw CatalogError(decoding: error)
        } catch {
            throw .malformed(field: "(document)", problem: "\(error)")
        }
        try catalog.validate()
        return catalog
    }

    func validate() throws(CatalogError) {
        if catalogVersion.trimmingCharacters(in: .whitespaces).isEmpty {
            throw .malformed(field: "catalogVersion", problem: "must not be empty")
        }
        if eligibleOS.isEmpty { throw .malformed(field: "eligibleOS", problem: "lists no operating system") }
        if years.isEmpty { throw .malformed(field: "years", problem: "lists no ESU year") }
        for (i, os) in eligibleOS.enumerated() {
            if !os.ssus.contains(where: { $0.kb == os.ssuToInstall }) {
                throw .malformed(field: "eligibleOS[\(i)].ssuToInstall",
                                 problem: "\(os.ssuToInstall) is not listed in eligibleOS[\(i)].ssus")
            }
            if let j = os.ssus.firstIndex(where: { $0.kb == os.ssuToInstall }), os.ssus[j].released < minimumSSUDate {
                throw .malformed(field: "eligibleOS[\(i)].ssuToInstall",
                                 problem: "\(os.ssuToInstall) was released before minimumSSUDate \(minimumSSUDate)")
            }
            if eligibleOS[..<i].contains(where: { $0.version == os.version }) {
                throw .malformed(field: "eligibleOS[\(i)].version", problem: "\(os.version) is listed twice")
            }
        }
        for (i, y) in years.enumerated() {
            if y.year.number != i + 1 {
                throw .malformed(field: "years[\(i)].year", problem: "years must be listed in order 1, 2, 3, … (found \(y.year.number))")
            }
            if y.coverageEnd < y.coverageStart {
                throw .malformed(field: "years[\(i)].coverageEnd", problem: "\(y.coverageEnd) is before coverageStart \(y.coverageStart)")
            }
            if i > 0, y.coverageStart <= years[i - 1].coverageEnd {
                throw .malformed(field: "years[\(i)].coverageStart", problem: "\(y.coverageStart) overlaps the previous year, which ends \(years[i - 1].coverageEnd)")
            }
            if years[..<i].contains(where: { $0.activationId == y.activationId }) {
                throw .malformed(field: "years[\(i)].activationId", problem: "\(y.activationId) is used by another year")
            }
        }
        for (i, c) in confusableActivationIdPrefixes.enumerated() {
            if c.prefix.count != 8 || !c.prefix.allSatisfy(\.isHexDigit) {
                throw .malformed(field: "confusableActivationIdPrefixes[\(i)].prefix", problem: "'\(c.prefix)' is not the first 8 hex digits of a GUID")
            }
            if years.contains(where: { $0.activationId.value.hasPrefix(c.prefix.lowercased()) }) {
                throw .malformed(field: "confusableActivationIdPrefixes[\(i)].prefix", problem: "\(c.prefix) matches an ESU year's own Activation ID")
            }
        }
    }

    // MARK: Look-ups

    public func eligible(_ version: OSVersion) -> EligibleOS? {
        eligibleOS.first { $0.version == version }
    }

    public func inSupport(_ version: OSVersion) -> InSupportOS? {
        inSupportOS.first { $0.version == version }
    }

    public func year(_ year: ESUYear) -> Year? { years.first { $0.year == year } }

    public func year(for id: ActivationID) -> Year? { years.first { $0.activationId == id } }

    /// The program that owns `id` when it is a known look-alike (Server 2008 or Windows 7 ESU).
    public func confusable(_ id: ActivationID) -> String? {
        confusableActivationIdPrefixes.first { id.value.hasPrefix($0.prefix.lowercased()) }?.belongsTo
    }

    /// The years whose coverage has begun by `day`, oldest first.
    public func yearsBegun(by day: CalendarDay) -> [Year] { years.filter { $0.coverageStart <= day } }

    /// The last day any ESU year covers: the end of the program.
    public var programEnd: CalendarDay { years.map(\.coverageEnd).max()! }
}

/// A catalog file that cannot be used.
public enum CatalogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field is missing, has the wrong type, or holds a value that breaks a rule.
    case malformed(field: String, problem: String)

    init(decoding error: DecodingError) {
        let (field, problem) = error.fieldAndProblem
        self = .malformed(field: field, problem: problem)
    }

    public var description: String {
        switch self {
        case .malformed(let field, let problem):
            return "catalog field '\(field)': \(problem). Fix the catalog file, or omit --catalog to use the built-in one."
        }
    }
}
