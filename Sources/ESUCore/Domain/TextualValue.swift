import Foundation

/// A value that is written as text and parsed back with validation (`KB5017220`, `6.3.9600`,
/// `2026-10-13`). Conforming gives it a JSON form that is that text, and decoding errors that carry
/// the validation message, so a bad field in a facts or catalog file says what is wrong with it.
public protocol TextualValue: Codable, CustomStringConvertible {
    init(text: String) throws(DomainError)
}

extension TextualValue {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
