import Foundation

/// An ESU MAK product key: five groups of five characters from the product-key alphabet.
///
/// The key is a secret. Every way of turning it into text — `description`, `debugDescription`,
/// string interpolation, `dump` — shows only the last five characters, the way `slmgr` shows a
/// Partial Product Key. The full key is reachable only through `revealForStdin()`, whose name makes
/// every use easy to audit: the key may only travel over a channel's stdin.
public struct ProductKey: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Microsoft's product-key alphabet: no vowels except Y, no 0/1/5/A/E/I/L/O/S/U/Z.
    public static let alphabet: Set<Character> = Set("BCDFGHJKMNPQRTVWXY2346789")

    private let key: String

    public init(_ text: String) throws(DomainError) {
        let s = text.trimmingCharacters(in: .whitespaces).uppercased()
        let groups = s.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.count == 5, groups.allSatisfy({ $0.count == 5 && $0.allSatisfy(ProductKey.alphabet.contains) })
        else { throw .invalidProductKey(masked: ProductKey.mask(s)) }
        key = s
    }

    /// The last five characters, as `slmgr /dlv` prints them under "Partial Product Key".
    public var partial: String { String(key.suffix(5)) }

    /// `XXXXX-XXXXX-XXXXX-XXXXX-ABCDE`.
    public var masked: String { "XXXXX-XXXXX-XXXXX-XXXXX-\(partial)" }

    public var description: String { masked }
    public var debugDescription: String { "ProductKey(\(masked))" }
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked]) }

    /// The full key, for writing to a remote command's stdin and nowhere else.
    public func revealForStdin() -> String { key }

    /// Masks every product-key-shaped run (five groups of five key characters) inside `text`, for
    /// text esuctl did not write itself (remote output, operator commands) before it is recorded.
    public static func scrub(_ text: String) -> String {
        let chars = Array(text)
        guard chars.count >= 29 else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var i = 0
        func isKeyChar(_ c: Character) -> Bool { alphabet.contains(c) || alphabet.contains(Character(c.uppercased())) }
        while i < chars.count {
            if i + 29 <= chars.count, (0..<29).allSatisfy({ k in k % 6 == 5 ? chars[i + k] == "-" : isKeyChar(chars[i + k]) }),
               i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber) {
                out += "XXXXX-XXXXX-XXXXX-XXXXX-" + String(chars[(i + 24)..<(i + 29)])
                i += 29
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return out
    }

    /// Masks any text that might be a key (even a malformed one) down to its last five characters.
    public static func mask(_ text: String) -> String {
        let visible = text.filter { !$0.isWhitespace }.suffix(5)
        return visible.count < 5 ? "XXXXX" : "XXXXX-XXXXX-XXXXX-XXXXX-\(visible)"
    }
}
