import Foundation

/// A Windows error or status code (HRESULT, Win32 or installer exit code), held as its 32-bit
/// pattern. Windows prints the same code as `0xC004F074`, `C004F074`, or the signed decimal
/// `-1073418124` that scripts see; all parse to one value.
public struct WindowsErrorCode: Hashable, Sendable, CustomStringConvertible, Codable {
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    /// The interpretations a text admits, most likely first. Eight bare digits such as `80240017`
    /// are ambiguous (hex as printed by Windows Update, or decimal), so both are returned.
    public static func candidates(_ text: String) -> [WindowsErrorCode] {
        let s = text.trimmingCharacters(in: .whitespaces)
        let lower = s.lowercased()
        if lower.hasPrefix("0x") {
            let hex = lower.dropFirst(2)
            guard (1...8).contains(hex.count), let v = UInt32(hex, radix: 16) else { return [] }
            return [WindowsErrorCode(v)]
        }
        var out: [WindowsErrorCode] = []
        if s.count == 8, s.allSatisfy(\.isHexDigit), let v = UInt32(s, radix: 16) { out.append(WindowsErrorCode(v)) }
        if let n = Int64(s), n >= Int64(Int32.min), n <= Int64(UInt32.max) {
            let v = WindowsErrorCode(UInt32(truncatingIfNeeded: n))
            if !out.contains(v) { out.append(v) }
        }
        return out
    }

    /// `0xC004F074`; installer exit codes below 0x10000 keep their decimal form alongside.
    public var hex: String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The signed decimal form scripts and event logs print.
    public var signedDecimal: Int32 { Int32(bitPattern: value) }

    public var description: String { hex }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let first = WindowsErrorCode.candidates(text).first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an error code"))
        }
        self = first
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}
