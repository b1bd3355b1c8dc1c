import Foundation

/// A Windows update identifier such as `KB5017220`.
///
/// Windows prints it in several spellings (`KB5017220`, `kb5017220`, `5017220` in DISM package
/// names); all parse to the same value, which always prints as `KB` + digits.
public struct KB: Hashable, Comparable, Sendable, CustomStringConvertible, TextualValue {
    public let number: UInt32

    public init(number: UInt32) { self.number = number }

    /// Accepts `KB` followed by 6 or 7 digits (case-insensitive). Bare digits are accepted only with
    /// `allowBareNumber`, because a bare number in operator input is more often a typo than a KB.
    public init(_ text: String, allowBareNumber: Bool = false) throws(DomainError) {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        if digits.count >= 2, digits.prefix(2).uppercased() == "KB" {
            digits = digits.dropFirst(2)
        } else if !allowBareNumber {
            throw .invalidKB(text)
        }
        guard (6...7).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = UInt32(digits)
        else { throw .invalidKB(text) }
        self.number = value
    }

    public var description: String { "KB\(number)" }
    public static func < (a: KB, b: KB) -> Bool { a.number < b.number }

    public init(text: String) throws(DomainError) { try self.init(text) }
}
