import Foundation

/// The operator's ESU keys: a keys file (`year1 = XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`, one line per
/// year, `#` comments) or `ESUCTL_ESU_KEY_YEAR1..3`. Every error shows keys masked.
public enum KeysFile {
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// A line that is not `yearN = KEY`.
        case malformedLine(file: String, line: Int)
        /// A key that is not a product key (shown masked).
        case invalidKey(file: String, line: Int, masked: String)
        /// Two keys for one year.
        case duplicateYear(file: String, line: Int, year: Int)

        public var description: String {
            switch self {
            case .malformedLine(let file, let line):
                return "\(file):\(line): expected 'yearN = XXXXX-XXXXX-XXXXX-XXXXX-XXXXX'"
            case .invalidKey(let file, let line, let masked):
                return "\(file):\(line): \(masked) is not a product key (five groups of five characters from the product-key alphabet)"
            case .duplicateYear(let file, let line, let year):
                return "\(file):\(line): a second key for ESU Year \(year); keep one line per year"
            }
        }
    }

    public static func parse(_ text: String, file: String) throws(ParseError) -> [ESUYear: ProductKey] {
        var keys: [ESUYear: ProductKey] = [:]
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, let year = try? ESUYear(parsing: parts[0]), parts[0].lowercased().hasPrefix("year") else {
                throw .malformedLine(file: file, line: i + 1)
            }
            guard let key = try? ProductKey(parts[1]) else {
                throw .invalidKey(file: file, line: i + 1, masked: ProductKey.mask(parts[1]))
            }
            guard keys[year] == nil else { throw .duplicateYear(file: file, line: i + 1, year: year.number) }
            keys[year] = key
        }
        return keys
    }

    /// `ESUCTL_ESU_KEY_YEAR1` … from an environment dictionary.
    public static func fromEnvironment(_ env: [String: String]) throws(ParseError) -> [ESUYear: ProductKey] {
        var keys: [ESUYear: ProductKey] = [:]
        for n in 1...9 {
            guard let value = env["ESUCTL_ESU_KEY_YEAR\(n)"], !value.isEmpty else { continue }
            guard let key = try? ProductKey(value) else {
                throw .invalidKey(file: "ESUCTL_ESU_KEY_YEAR\(n)", line: 0, masked: ProductKey.mask(value))
            }
            keys[try! ESUYear(n)] = key
        }
        return keys
    }
}

/// The payload directory's manifest: `SHA256SUMS` in `sha256sum` format (`<hex>  <file>`).
public struct PayloadManifest: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let file: String
        public let sha256: String
    }

    public let entries: [Entry]

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// A line that is not `<64 hex>  <file name>`.
        case malformedLine(line: Int)

        public var description: String {
            switch self {
            case .malformedLine(let line):
                return "SHA256SUMS:\(line): expected '<64 hex digits>  <file name>' as sha256sum prints it"
            }
        }
    }

    public init(entries: [Entry]) { self.entries = entries }

    public static func parse(_ text: String) throws(ParseError) -> PayloadManifest {
        var entries: [Entry] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let hex = line.prefix(64)
            var rest = line.dropFirst(64)
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit), rest.hasPrefix(" ") else { throw .malformedLine(line: i + 1) }
            rest = rest.dropFirst()
            if rest.hasPrefix(" ") || rest.hasPrefix("*") { rest = rest.dropFirst() } // text or binary mode marker
            let file = String(rest)
            // Only plain names: a manifest must not point outside the payload directory.
            guard !file.isEmpty, !file.contains("/"), !file.contains("\\"), file != "..", file != "." else {
                throw .malformedLine(line: i + 1)
            }
            entries.append(Entry(file: file, sha256: hex.lowercased()))
        }
        return PayloadManifest(entries: entries)
    }

    /// The .msu for a KB: the one file whose name holds the KB number (as Microsoft names them).
    public func payload(for kb: KB) -> Entry? {
        let needle = "kb\(kb.number)"
        let matches = entries.filter { entry in
            let name = entry.file.lowercased()
            guard name.hasSuffix(".msu"), let r = name.range(of: needle) else { return false }
            return r.upperBound == name.endIndex || !name[r.upperBound].isNumber
        }
        return matches.count == 1 ? matches[0] : nil
    }
}
