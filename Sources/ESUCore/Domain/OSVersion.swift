import Foundation

/// A Windows version as `major.minor.build` (`6.3.9600`). A fourth component (revision) is accepted
/// and dropped: eligibility depends on the first three.
public struct OSVersion: Hashable, Comparable, Sendable, CustomStringConvertible, TextualValue {
    public let major: Int, minor: Int, build: Int

    public init(major: Int, minor: Int, build: Int) {
        self.major = major; self.minor = minor; self.build = build
    }

    public init(_ text: String) throws(DomainError) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false)
        guard (3...4).contains(parts.count),
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { throw .invalidOSVersion(text) }
        major = Int(parts[0])!; minor = Int(parts[1])!; build = Int(parts[2])!
    }

    public var description: String { "\(major).\(minor).\(build)" }

    public static func < (a: OSVersion, b: OSVersion) -> Bool {
        (a.major, a.minor, a.build) < (b.major, b.minor, b.build)
    }

    public init(text: String) throws(DomainError) { try self.init(text) }
}
