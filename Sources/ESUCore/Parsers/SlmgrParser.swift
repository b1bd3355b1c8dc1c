import Foundation

/// Reads the text of `cscript //nologo slmgr.vbs /dlv`, `/dlv all` and `/dli` (any language).
///
/// Recognised labels (English, Japanese) are used where present; otherwise the parser relies on the
/// structure slmgr always prints: a block starts with the name line, the description follows, the
/// first GUID is the Activation ID and the second the Application ID, a five-character key-alphabet
/// value is the partial key, and the line after the key (or after "This license is not in use.") is
/// the status. Unrecognised input yields fewer fields, never invented ones.
///
/// The parser runs in one pass over the UTF-8 bytes, so it is linear in the input; lines longer
/// than `maxLineBytes` cannot be slmgr output and are skipped without being examined.
public enum SlmgrParser {
    /// Longest line considered; slmgr's longest (the ESU name) is a few hundred bytes.
    public static let maxLineBytes = 4096

    public static func parse(_ text: String) -> SlmgrReport {
        var state = State()
        var text = text
        text.makeContiguousUTF8()
        text.utf8.withContiguousStorageIfAvailable { bytes in
            forEachLine(bytes) { line in state.consume(line) }
        }
        state.finishBlock()
        return SlmgrReport(serviceVersion: state.serviceVersion, products: state.products)
    }

    /// Calls `body` once per line with the line's bytes: BOM dropped, LF, CRLF and stray CR all end a
    /// line, trailing white space removed. Overlong lines are passed as nil (noise).
    private static func forEachLine(_ all: UnsafeBufferPointer<UInt8>, _ body: (Line) -> Void) {
        guard var p = all.baseAddress else { return }
        let end = p + all.count
        if all.count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { p += 3 }
        while p < end {
            let nl = memchr(p, 0x0A, end - p).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) } ?? end
            var lineEnd = nl
            // Drop trailing CRs and blanks; interior CRs (a stray CR) split the line further.
            while lineEnd > p, lineEnd[-1] == 0x0D || lineEnd[-1] == 0x20 || lineEnd[-1] == 0x09 { lineEnd -= 1 }
            var s = p
            while s <= lineEnd {
                let cr = memchr(s, 0x0D, lineEnd - s).map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) } ?? lineEnd
                body(Line(UnsafeBufferPointer(start: s, count: cr - s)))
                s = cr + 1
            }
            p = nl + 1
        }
    }

    /// One physical line, split into label and value at its first `:` or `：`.
    /// Works on the bytes so that a long run of lines costs no Foundation calls per line.
    struct Line {
        enum Kind { case blank, noise, indented, sentence(String), labelled(label: String, value: String) }
        let kind: Kind

        init(_ b: UnsafeBufferPointer<UInt8>) {
            guard b.count <= SlmgrParser.maxLineBytes else { kind = .noise; return }
            let (lo, hi) = Line.trim(b, 0, b.count)
            if lo == hi { kind = .blank; return }
            if b[0] == 0x20 || b[0] == 0x09 { kind = .indented; return }
            let base = b.baseAddress!
            var colon = memchr(base + lo, 0x3A, hi - lo).map { UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base } ?? -1
            var colonLength = 1
            // A full-width colon (EF BC 9A) before the first ASCII one wins.
            var i = lo
            let limit = colon < 0 ? hi : colon
            while i < limit, let p = memchr(base + i, 0xEF, limit - i) {
                let at = UnsafePointer<UInt8>(p.assumingMemoryBound(to: UInt8.self)) - base
                if at + 2 < hi, b[at + 1] == 0xBC, b[at + 2] == 0x9A { colon = at; colonLength = 3; break }
                i = at + 1
            }
            let (labelLo, labelHi) = colon < 0 ? (lo, lo) : Line.trim(b, lo, colon)
            guard colon >= 0, labelLo < labelHi else {
                kind = .sentence(String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self))
                return
            }
            let (valueLo, valueHi) = Line.trim(b, colon + colonLength, hi)
            kind = .labelled(label: String(decoding: UnsafeBufferPointer(rebasing: b[labelLo..<labelHi]), as: UTF8.self),
                             value: String(decoding: UnsafeBufferPointer(rebasing: b[valueLo..<valueHi]), as: UTF8.self))
        }

        /// Narrows `lo..<hi` past ASCII blanks, NBSP (C2 A0) and the ideographic space (E3 80 80).
        static func trim(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> (Int, Int) {
            var lo = lo, hi = hi
            while lo < hi {
                let c = b[lo]
                if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C { lo += 1 }
                else if c == 0xC2, lo + 1 < hi, b[lo + 1] == 0xA0 { lo += 2 }
                else if c == 0xE3, lo + 2 < hi, b[lo + 1] == 0x80, b[lo + 2] == 0x80 { lo += 3 }
                else { break }
            }
            while hi > lo {
                let c = b[hi - 1]
                if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C { hi -= 1 }
                else if c == 0xA0, hi - 2 >= lo, b[hi - 2] == 0xC2 { hi -= 2 }
                else if c == 0x80, hi - 3 >= lo, b[hi - 3] == 0xE3, b[hi - 2] == 0x80 { hi -= 3 }
                else { break }
            }
            return (lo, hi)
        }
    }

    /// Where the structural reading of a block has got to.
    fileprivate enum Mark { case name, description, ids, extendedPID, channel, key, notInUse, status, after }

    fileprivate struct Block {
        var product = SlmgrProduct()
        /// Started by a recognised name label (kept even if truncated right after it).
        var labelledStart: Bool
        var labelledLines = 0
        var mark: Mark = .name

        var hasEvidence: Bool {
            product.activationId != nil || product.licenseStatusText != nil || product.partialProductKey != nil
                || product.licenseNotInUse
        }
    }

    private struct State {
        var serviceVersion: String?
        var products: [SlmgrProduct] = []
        var block: Block?
        var afterBlank = false
        var sawContent = false
        /// Labels repeat in every block; normalising one (NFKC) is costly, so each distinct label is
        /// looked up once. Bounded so that garbage with endless distinct labels cannot grow it.
        var labelMemo: [String: SlmgrField?] = [:]
        var sentenceMemo: [String: Bool] = [:]
        var guids = GUIDCache()
        static let memoLimit = 512

        mutating func field(for label: String) -> SlmgrField? {
            if let hit = labelMemo[label] { return hit }
            let field = SlmgrVocabulary.labels[SlmgrVocabulary.labelKey(label)]
            if labelMemo.count < State.memoLimit { labelMemo[label] = field }
            return field
        }

        mutating func isNotInUse(_ sentence: String) -> Bool {
            if let hit = sentenceMemo[sentence] { return hit }
            let known = SlmgrVocabulary.notInUse.contains(SlmgrVocabulary.statusKey(sentence))
            if sentenceMemo.count < State.memoLimit { sentenceMemo[sentence] = known }
            return known
        }

        mutating func finishBlock() {
            if let b = block, b.labelledStart || b.hasEvidence { products.append(b.product) }
            block = nil
        }

        mutating func consume(_ line: Line) {
            switch line.kind {
            case .blank:
                afterBlank = true
                return
            case .noise, .indented:
                return
            case .sentence(let s):
                sentence(s)
            case .labelled(let label, let value):
                labelled(label, value)
            }
            afterBlank = false
        }

        private mutating func sentence(_ s: String) {
            guard var b = block else { return }
            let known = isNotInUse(s)
            // Structurally, a label-less line in the key position of a block is the "not in use" sentence.
            let inKeyPosition = b.labelledLines >= 2 && b.product.partialProductKey == nil
                && b.product.licenseStatusText == nil && !b.product.licenseNotInUse
                && b.mark != .name && b.mark != .description
            guard known || inKeyPosition else { return }
            b.product.licenseNotInUse = true
            b.product.partialProductKey = nil
            b.mark = .notInUse
            block = b
        }

        private mutating func labelled(_ label: String, _ value: String) {
            let field = field(for: label)
            let firstContent = !sawContent
            sawContent = true

            if field == .serviceVersion {
                finishBlock()
                if serviceVersion == nil, !value.isEmpty { serviceVersion = value }
                return
            }
            if firstContent, field == nil, block == nil, products.isEmpty, SlmgrShape.isVersion(value) {
                serviceVersion = value
                return
            }
            if field == .name {
                finishBlock()
                block = Block(product: SlmgrProduct(name: value.nilIfEmpty), labelledStart: true, labelledLines: 1)
                return
            }
            if field == nil, !value.isEmpty,
               block == nil || (afterBlank && block!.hasEvidence) {
                // Structurally, a labelled line opening a block after a finished one is the name.
                finishBlock()
                block = Block(product: SlmgrProduct(name: value), labelledStart: false, labelledLines: 1)
                return
            }
            if block == nil {
                guard field != nil, field != .ignored else { return }
                // Text that begins mid-block (e.g. cut at the top): keep what the labels say.
                block = Block(product: SlmgrProduct(), labelledStart: false, labelledLines: 1, mark: .description)
            }
            block!.labelledLines += 1
            if let field {
                block!.assign(field, value, &guids)
            } else {
                block!.assignByShape(value, &guids)
            }
        }
    }
}

extension SlmgrParser.Block {
    fileprivate mutating func assign(_ field: SlmgrField, _ value: String, _ guids: inout GUIDCache) {
        let v = value.nilIfEmpty
        switch field {
        case .serviceVersion, .name: break // handled by the caller
        case .description: product.description = v; mark = .description
        case .activationId: product.activationId = v.flatMap { guids.id($0) }; mark = .ids
        case .applicationId: product.applicationId = v.flatMap { guids.id($0) }; mark = .ids
        case .extendedPID: product.extendedPID = v; mark = .extendedPID
        case .productKeyChannel: product.productKeyChannel = v; mark = .channel
        case .installationID: product.installationID = v; mark = .channel
        case .partialProductKey:
            product.partialProductKey = v
            if v != nil { product.licenseNotInUse = false }
            mark = .key
        case .licenseStatus:
            product.licenseStatusText = v
            product.licenseStatus = v.map(SlmgrVocabulary.status(of:)) ?? .unknown
            mark = .status
        case .timeRemaining:
            if let v { product.graceMinutesRemaining = SlmgrShape.minutes(v) ?? SlmgrShape.integer(v) }
            mark = .after
        case .notificationReason:
            product.notificationReason = v.map { SlmgrShape.hexCode($0) ?? $0 }
            mark = .after
        case .windowsRearm: product.remainingWindowsRearmCount = v.flatMap(SlmgrShape.integer); mark = .after
        case .skuRearm: product.remainingSKURearmCount = v.flatMap(SlmgrShape.integer); mark = .after
        case .trustedTime: product.trustedTime = v; mark = .after
        case .ignored: break
        }
    }

    /// Reads a line whose label is unknown by the shape of its value and its place in the block.
    fileprivate mutating func assignByShape(_ v: String, _ guids: inout GUIDCache) {
        guard !v.isEmpty else { return }
        let beforeKey = product.partialProductKey == nil && product.licenseStatusText == nil && !product.licenseNotInUse
        let lower = v.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") { return } // Use License / Validation URL
        if mark == .name, product.description == nil, guids.id(v) == nil {
            product.description = v; mark = .description
        } else if beforeKey, let id = guids.id(v) {
            if product.activationId == nil { product.activationId = id; mark = .ids }
            else if product.applicationId == nil { product.applicationId = id; mark = .ids }
        } else if beforeKey, product.extendedPID == nil, SlmgrShape.isExtendedPID(v) {
            product.extendedPID = v; mark = .extendedPID
        } else if beforeKey, mark == .extendedPID, product.productKeyChannel == nil {
            product.productKeyChannel = v; mark = .channel
        } else if beforeKey, product.installationID == nil, SlmgrShape.isInstallationID(v) {
            product.installationID = v; mark = .channel
        } else if beforeKey, labelledLines >= 3, SlmgrShape.isPartialKey(v) {
            product.partialProductKey = v; mark = .key
        } else if product.licenseStatusText == nil, mark == .key || mark == .notInUse {
            product.licenseStatusText = v
            product.licenseStatus = SlmgrVocabulary.status(of: v)
            mark = .status
        } else if product.licenseStatusText != nil {
            if product.graceMinutesRemaining == nil, let m = SlmgrShape.minutes(v) {
                product.graceMinutesRemaining = m
            } else if let n = SlmgrShape.integer(v) {
                if product.remainingWindowsRearmCount == nil { product.remainingWindowsRearmCount = n }
                else if product.remainingSKURearmCount == nil { product.remainingSKURearmCount = n }
            } else if product.notificationReason == nil, let code = SlmgrShape.hexCode(v) {
                product.notificationReason = code
            }
            mark = .after
        }
    }
}

/// The same few GUIDs (the Windows Application ID above all) appear in every block; each distinct
/// text is validated once. Bounded so that hostile input cannot grow it without limit.
struct GUIDCache {
    private var seen: [String: ActivationID] = [:]

    mutating func id(_ text: String) -> ActivationID? {
        guard SlmgrShape.mayBeGUID(text) else { return nil }
        if let hit = seen[text] { return hit }
        guard let id = SlmgrShape.guid(text) else { return nil }
        if seen.count < 512 { seen[text] = id }
        return id
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
