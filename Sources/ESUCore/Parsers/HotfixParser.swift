import Foundation

/// Reads the installed-update listings Windows prints — `wmic qfe list`, `wmic qfe get HotFixID`,
/// `Get-HotFix`, the `Hotfix(s):` section of `systeminfo` in any language, and DISM
/// `/Get-Packages` — and returns the KB ids they name.
///
/// All these formats name an update as `KB` + digits at a word boundary, while the other columns
/// (host names, URLs such as `?kbid=2919355`, dates) never do; so the parser scans for that token
/// rather than trusting column positions, which differ by language, padding and console width.
/// DISM also lists packages that are only staged or being removed: those are left out.
public enum HotfixParser {
    /// Sorted, without duplicates. Linear in the input; garbage yields an empty list.
    public static func parse(_ text: String) -> [KB] {
        var found = Set<KB>()
        var pendingDISM: KB? = nil // identity seen, its State line not yet
        text.utf8.withContiguousStorageIfAvailable { buffer in
            scanLines(buffer, found: &found, pendingDISM: &pendingDISM)
        } ?? {
            let bytes = Array(text.utf8)
            bytes.withUnsafeBufferPointer { scanLines($0, found: &found, pendingDISM: &pendingDISM) }
        }()
        if let kb = pendingDISM { found.insert(kb) }
        return found.sorted()
    }

    /// English DISM states of packages that are not (or no longer) installed.
    static let notInstalledStates: Set<String> = ["staged", "uninstall pending", "not present", "removed", "absent", "installation failed"]

    static func scanLines(_ b: UnsafeBufferPointer<UInt8>, found: inout Set<KB>, pendingDISM: inout KB?) {
        var lineStart = 0
        let n = b.count
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n, b[lineEnd] != 0x0A { lineEnd += 1 }
            scanLine(b, lineStart, lineEnd, found: &found, pendingDISM: &pendingDISM)
            lineStart = lineEnd + 1
        }
    }

    static func scanLine(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, found: inout Set<KB>, pendingDISM: inout KB?) {
        let isDISMIdentity = contains(b, start, end, "Package_")
        if !isDISMIdentity, let kb = pendingDISM {
            // The line after a DISM identity is "State : <state>" (in the console's language).
            if let colon = (start..<end).first(where: { b[$0] == UInt8(ascii: ":") }) {
                let value = String(decoding: UnsafeBufferPointer(rebasing: b[(colon + 1)..<end]), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
                if !notInstalledStates.contains(value) { found.insert(kb) }
                pendingDISM = nil
                return
            }
        }
        if let kb = pendingDISM { found.insert(kb); pendingDISM = nil }

        var i = start
        while i + 2 < end {
            let c0 = b[i] | 0x20, c1 = b[i + 1] | 0x20
            if c0 == UInt8(ascii: "k"), c1 == UInt8(ascii: "b"), isDigit(b[i + 2]),
               i == start || !isAlnum(b[i - 1]) {
                var j = i + 2, value: UInt32 = 0
                while j < end, isDigit(b[j]), j - i - 2 < 8 {
                    value = value * 10 + UInt32(b[j] - 0x30)
                    j += 1
                }
                let digits = j - i - 2
                if (6...7).contains(digits), j == end || !isAlnum(b[j]) {
                    let kb = KB(number: value)
                    if isDISMIdentity { pendingDISM = kb } else { found.insert(kb) }
                }
                i = j
            } else {
                i += 1
            }
        }
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) }

    static func contains(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ needle: StaticString) -> Bool {
        let count = needle.utf8CodeUnitCount
        guard end - start >= count else { return false }
        return needle.withUTF8Buffer { nb in
            var i = start
            while i + count <= end {
                var k = 0
                while k < count, b[i + k] == nb[k] { k += 1 }
                if k == count { return true }
                i += 1
            }
            return false
        }
    }
}
