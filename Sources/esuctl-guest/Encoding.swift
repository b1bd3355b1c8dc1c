import Foundation

/// Bytes out, unbuffered (`write(2)`), so a fault that kills the process loses exactly what it should.
enum Out {
    static func write(_ bytes: [UInt8], fd: Int32 = 1) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            off += n
        }
    }
    static func write(_ data: Data, fd: Int32 = 1) { write([UInt8](data), fd: fd) }
}

/// Text as a Windows console would emit it: CRLF line ends, OEM code page bytes.
enum Console {
    /// Encodes `text` for code page 437 (ASCII here: every string the simulator prints in English is ASCII)
    /// or 932 (Foundation's `.shiftJIS`, which maps as CP932 on this platform).
    static func bytes(_ text: String, codePage: Int) -> [UInt8] {
        if codePage == 932, let d = text.data(using: .shiftJIS, allowLossyConversion: true) { return [UInt8](d) }
        if let d = text.data(using: .ascii, allowLossyConversion: true) { return [UInt8](d) }
        return Array(text.utf8)
    }

    /// Lines joined and terminated with CRLF.
    static func lines(_ ls: [String]) -> String { ls.map { $0 + "\r\n" }.joined() }
}

enum B64 {
    static func decode(_ s: String) -> [UInt8]? { Data(base64Encoded: s).map { [UInt8]($0) } }
    static func encode(_ b: [UInt8]) -> String { Data(b).base64EncodedString() }
}

/// UTF-16LE without BOM, as `-EncodedCommand` takes it.
enum UTF16LE {
    static func decode(_ b: [UInt8]) -> String? {
        guard b.count % 2 == 0 else { return nil }
        var units: [UInt16] = []; units.reserveCapacity(b.count / 2)
        var i = 0
        while i < b.count { units.append(UInt16(b[i]) | UInt16(b[i + 1]) << 8); i += 2 }
        return String(utf16CodeUnits: units, count: units.count)
    }
}

/// Serializes a JSON value built from dictionaries, arrays, strings, numbers, booleans and `NSNull`.
enum JSON {
    static func bytes(_ v: Any) -> [UInt8] {
        let d = (try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        return [UInt8](d)
    }
    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }
}
