import Foundation

/// What a line of slmgr output says, once its label is recognised.
enum SlmgrField: Sendable {
    case serviceVersion, name, description, activationId, applicationId, extendedPID, productKeyChannel
    case installationID, partialProductKey, licenseStatus, timeRemaining, notificationReason
    case windowsRearm, skuRearm, trustedTime
    /// A known line that carries nothing we keep (URLs, KMS details); it must not disturb the structure.
    case ignored
}

/// The localized words slmgr prints. Labels are matched after `SlmgrVocabulary.labelKey`
/// (NFKC, lower-case, all white space removed), so `Activation ID`, `ActivationID` and
/// `ＡｃｔｉｖａｔｉｏｎＩＤ` meet the same entry.
///
/// English comes from slmgr.vbs itself. Japanese (ja-JP, `slmgr\0411\slmgr.ini`): `ライセンスの状態:` with
/// `ライセンスされています` is confirmed in a public inventory script that greps `slmgr -dli` output;
/// the other Japanese words are the ones the project brief lists. Anything else is parsed by structure.
enum SlmgrVocabulary {
    static let labels: [String: SlmgrField] = {
        var t: [String: SlmgrField] = [:]
        func add(_ field: SlmgrField, _ words: String...) { for w in words { t[labelKey(w)] = field } }
        // English
        add(.serviceVersion, "Software licensing service version")
        add(.name, "Name")
        add(.description, "Description")
        add(.activationId, "Activation ID")
        add(.applicationId, "Application ID")
        add(.extendedPID, "Extended PID")
        add(.productKeyChannel, "Product Key Channel")
        add(.installationID, "Installation ID")
        add(.partialProductKey, "Partial Product Key")
        add(.licenseStatus, "License Status")
        add(.timeRemaining, "Time remaining", "Timebased activation expiration", "Volume activation expiration")
        add(.notificationReason, "Notification Reason")
        add(.windowsRearm, "Remaining Windows rearm count")
        add(.skuRearm, "Remaining SKU rearm count", "Remaining App rearm count")
        add(.trustedTime, "Trusted time")
        add(.ignored, "Use License URL", "Validation URL", "Configured Activation Type",
            "Most recent activation information", "Client Machine ID (CMID)", "KMS machine name from DNS",
            "Registered KMS machine name", "KMS machine IP address", "KMS machine extended PID",
            "Activation interval", "Renewal interval", "KMS host caching")
        // Japanese
        add(.serviceVersion, "ソフトウェア ライセンス サービスのバージョン")
        add(.name, "名前")
        add(.description, "説明")
        add(.activationId, "アクティベーション ID")
        add(.applicationId, "アプリケーション ID")
        add(.extendedPID, "拡張 PID")
        add(.productKeyChannel, "プロダクト キー チャネル")
        add(.installationID, "インストール ID")
        add(.partialProductKey, "プロダクト キーの一部")
        add(.licenseStatus, "ライセンスの状態")
        return t
    }()

    /// Status texts, matched after `statusKey`.
    static let statuses: [String: LicenseStatus] = {
        var t: [String: LicenseStatus] = [:]
        func add(_ s: LicenseStatus, _ words: String...) { for w in words { t[statusKey(w)] = s } }
        add(.licensed, "Licensed", "ライセンスされています")
        add(.unlicensed, "Unlicensed", "ライセンスされていません")
        add(.oobGrace, "Initial grace period")
        add(.ootGrace, "Additional grace period (KMS license expired or hardware out of tolerance)")
        add(.nonGenuineGrace, "Non-genuine grace period")
        add(.notification, "Notification", "通知")
        add(.extendedGrace, "Extended grace period")
        return t
    }()

    /// The sentence printed instead of the key lines when a product has no key installed.
    static let notInUse: Set<String> = [statusKey("This license is not in use."),
                                        statusKey("このライセンスは使用されていません。")]

    static func labelKey(_ s: some StringProtocol) -> String {
        String(String(s).precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars
            .filter { !$0.properties.isWhitespace })
    }

    /// NFKC, lower-case, single spaces, no trailing sentence punctuation.
    static func statusKey(_ s: some StringProtocol) -> String {
        var t = String(s).precomposedStringWithCompatibilityMapping.lowercased()
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        while let last = t.last, last == "." || last == "。" { t.removeLast() }
        return t
    }

    static func status(of text: String) -> LicenseStatus {
        // The common printed forms first, without normalising.
        switch text {
        case "Licensed", "ライセンスされています": return .licensed
        case "Unlicensed", "ライセンスされていません": return .unlicensed
        default: break
        }
        let key = statusKey(text)
        if let s = statuses[key] { return s }
        // Older builds word the reason in brackets differently; the leading words decide.
        if key.hasPrefix("additional grace period") { return .ootGrace }
        return .unknown
    }
}

/// Shape tests for values, used when a label is not recognised.
enum SlmgrShape {
    static let keyAlphabet: Set<Character> = ProductKey.alphabet

    /// A cheap test on the bytes: 36 (or 38 with braces) characters, hyphens at the GUID positions.
    static func mayBeGUID(_ v: String) -> Bool {
        let u = v.utf8
        let braced = u.count == 38
        guard u.count == 36 || braced else { return false }
        var i = 0
        for c in u {
            let j = braced ? i - 1 : i
            if braced && (i == 0 || i == 37) {
                if c != (i == 0 ? 0x7B : 0x7D) { return false }
            } else if j == 8 || j == 13 || j == 18 || j == 23 {
                if c != 0x2D { return false }
            } else if !((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)) {
                return false
            }
            i += 1
        }
        return true
    }

    static func guid(_ v: String) -> ActivationID? {
        guard v.utf8.count == 36 || v.utf8.count == 38 else { return nil }
        return try? ActivationID(v)
    }

    /// `06401-02976-006-000072-03-1041-9600.0000-3042016`: digit groups joined by hyphens.
    static func isExtendedPID(_ v: String) -> Bool {
        let groups = v.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.count >= 6, groups[0].count == 5, groups[1].count == 5 else { return false }
        return groups.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") } }
    }

    /// The installation ID is 54 or 63 decimal digits.
    static func isInstallationID(_ v: String) -> Bool {
        v.utf8.count >= 45 && v.utf8.count <= 80 && v.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// Five characters of the product-key alphabet, as slmgr prints a partial key.
    static func isPartialKey(_ v: String) -> Bool {
        v.count == 5 && v.allSatisfy(keyAlphabet.contains)
    }

    /// `6.3.9600.17809`.
    static func isVersion(_ v: String) -> Bool {
        let parts = v.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count >= 3 && parts.count <= 4
            && parts.allSatisfy { !$0.isEmpty && $0.count <= 6 && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    }

    /// A plain non-negative decimal number.
    static func integer(_ v: String) -> Int? {
        guard !v.isEmpty, v.utf8.count <= 9, v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(v)
    }

    /// The leading number of `43200 minute(s) (30 day(s))` or `43200 分 (30 日)`.
    /// Requires the bracketed second quantity so that plain counts and dates do not match.
    static func minutes(_ v: String) -> Int? {
        let digits = v.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9, let n = Int(digits) else { return nil }
        let rest = v.dropFirst(digits.count)
        guard let first = rest.first, first.isWhitespace else { return nil }
        // Some "(" must open a number: "minute(s)" has a bracket too, "(30 day(s))" is the one we need.
        var tail = rest[...]
        while let open = tail.firstIndex(where: { $0 == "(" || $0 == "（" }) {
            tail = tail[tail.index(after: open)...]
            if tail.first(where: { !$0.isWhitespace })?.isNumber == true { return n }
        }
        return nil
    }

    /// `0xC004F056` (a trailing period is dropped).
    static func hexCode(_ v: String) -> String? {
        var s = Substring(v)
        while s.last == "." { s = s.dropLast() }
        guard s.count == 10, s.lowercased().hasPrefix("0x"), s.dropFirst(2).allSatisfy(\.isHexDigit) else { return nil }
        return String(s)
    }
}
