import Foundation

/// A licensing Activation ID (also used for Application IDs): a GUID, compared case-insensitively
/// and always printed lower-case, the way `slmgr /dlv` prints it.
public struct ActivationID: Hashable, Sendable, CustomStringConvertible, TextualValue {
    public let value: String

    public init(_ text: String) throws(DomainError) {
        var s = text.trimmingCharacters(in: .whitespaces).lowercased()
        if s.hasPrefix("{") && s.hasSuffix("}") { s = String(s.dropFirst().dropLast()) }
        guard ActivationID.isGUID(s) else { throw .invalidActivationID(text) }
        value = s
    }

    /// True when `s` has the 8-4-4-4-12 hexadecimal GUID shape (either case).
    public static func isGUID<S: StringProtocol>(_ s: S) -> Bool {
        let groups = s.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return false }
        return groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    public var description: String { value }

    public init(text: String) throws(DomainError) { try self.init(text) }
}
