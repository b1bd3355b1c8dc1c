import Foundation

/// An ESU coverage year (1, 2 or 3 for Windows Server 2012/2012 R2). The catalog says which years
/// exist; this type only rules out nonsense such as 0 or "two".
public struct ESUYear: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let number: Int

    public init(_ number: Int) throws(DomainError) {
        guard (1...9).contains(number) else { throw .invalidESUYear(String(number)) }
        self.number = number
    }

    /// Accepts `2`, `year2`, `Year 2`, `y2`.
    public init(parsing text: String) throws(DomainError) {
        var s = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        for prefix in ["year", "y"] where s.hasPrefix(prefix) { s = s.dropFirst(prefix.count); break }
        s = s.drop(while: { $0 == " " })
        guard let n = Int(s) else { throw .invalidESUYear(text) }
        try self.init(n)
    }

    public var description: String { "Year \(number)" }
    public static func < (a: ESUYear, b: ESUYear) -> Bool { a.number < b.number }

    public init(from decoder: Decoder) throws {
        let n = try decoder.singleValueContainer().decode(Int.self)
        do { try self.init(n) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(number)
    }
}
