import Foundation

/// Turns bytes a Windows console or file produced into text. Windows writes UTF-16LE (files from
/// PowerShell's `Out-File`, with a BOM), UTF-8, or the OEM code page — cp932 on a Japanese system —
/// and does not say which. Decoding never fails: unreadable bytes become U+FFFD.
public enum WindowsText {
    public enum Encoding: String, Sendable, Codable {
        case utf8, utf16LE, utf16BE, cp932
    }

    public static func decode(_ data: Data) -> String { decodeDetecting(data).text }

    /// The text and the encoding it was read as.
    public static func decodeDetecting(_ data: Data) -> (text: String, encoding: Encoding) {
        let bytes = [UInt8](data.prefix(4))
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return (String(decoding: data.dropFirst(3), as: UTF8.self), .utf8)
        }
        if bytes.starts(with: [0xFF, 0xFE]) { return (utf16(data.dropFirst(2), littleEndian: true), .utf16LE) }
        if bytes.starts(with: [0xFE, 0xFF]) { return (utf16(data.dropFirst(2), littleEndian: false), .utf16BE) }
        // Before UTF-8: ASCII in UTF-16LE is also valid UTF-8, full of NULs.
        if looksLikeBOMlessUTF16LE(data) { return (utf16(data, littleEndian: true), .utf16LE) }
        if let s = String(data: data, encoding: .utf8) { return (s, .utf8) }
        if let s = String(data: data, encoding: .shiftJIS) { return (s, .cp932) }
        return (String(decoding: data, as: UTF8.self), .utf8)
    }

    static func utf16(_ data: Data, littleEndian: Bool) -> String {
        var units: [UInt16] = []
        units.reserveCapacity(data.count / 2)
        var i = data.startIndex
        while i + 1 < data.endIndex {
            let a = UInt16(data[i]), b = UInt16(data[i + 1])
            units.append(littleEndian ? a | b << 8 : a << 8 | b)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// ASCII-heavy UTF-16LE without a BOM has a zero in most odd positions; neither UTF-8 nor cp932
    /// text has zero bytes at all.
    static func looksLikeBOMlessUTF16LE(_ data: Data) -> Bool {
        let sample = data.prefix(4096)
        guard sample.count >= 4 else { return false }
        var zerosOdd = 0, zerosEven = 0, i = 0
        for byte in sample {
            if byte == 0 { if i % 2 == 1 { zerosOdd += 1 } else { zerosEven += 1 } }
            i += 1
        }
        return zerosOdd * 4 >= sample.count && zerosEven * 8 < sample.count
    }
}
