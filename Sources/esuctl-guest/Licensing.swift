import Foundation

/// The Software Licensing Service of the simulated guest: key installation and activation.
/// The verbs and `slmgr.vbs` both call these, as on Windows both end in the same WMI methods.
enum Licensing {
    /// The normalized key's SHA-256: trimmed, upper-case. The key itself goes nowhere else.
    static func keyHash(_ key: String) -> String {
        SHA256.hex(Array(key.trimmingCharacters(in: .whitespacesAndNewlines).uppercased().utf8))
    }

    /// `SoftwareLicensingService.InstallProductKey`. Returns the partial key or an HRESULT.
    static func installKey(_ key: String, in s: inout GuestState) -> Result<String, HResultError> {
        let norm = key.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        let shape = norm.split(separator: "-", omittingEmptySubsequences: false)
        guard shape.count == 5, shape.allSatisfy({ $0.count == 5 && $0.allSatisfy { $0.isLetter || $0.isNumber } }) else {
            return .failure(.init("0xC004F050"))
        }
        let hash = keyHash(norm)
        guard let accepted = s.acceptedKeys.first(where: { $0.sha256 == hash }),
              let esuId = WindowsFacts.esuIds[accepted.year],
              let i = s.product(esuId) else {
            // Unknown key, or the ESU add-on does not exist yet (prep package missing or no restart since).
            return .failure(.init("0xC004F050"))
        }
        if accepted.wrongEdition { return .failure(.init("0xC004F069")) }
        let pk = String(norm.suffix(5))
        s.products[i].partialProductKey = pk
        s.products[i].keySha256 = hash
        s.products[i].licenseStatus = 5
        s.products[i].extendedPID = "06401-04148-000-\(String(format: "%06d", accepted.year * 146))-03-1041-\(s.os.version.split(separator: ".").last ?? "9600").0000-2872023"
        return .success(pk)
    }

    /// `SoftwareLicensingProduct.Activate` on an existing product.
    static func activate(index i: Int, in s: inout GuestState) -> Result<Void, HResultError> {
        let p = s.products[i]
        guard WindowsFacts.esuYear(of: p.activationId) != nil else {
            return .failure(.init("0xC004F074")) // the OS product and anything else: a KMS attempt with no KMS
        }
        guard p.partialProductKey != nil else { return .failure(.init("0xC004F074")) }
        if let forced = s.faults.activationError { return .failure(.init(forced)) }
        guard let k = s.acceptedKeys.firstIndex(where: { $0.sha256 == p.keySha256 }) else { return .failure(.init("0xC004F050")) }
        if s.products[i].licenseStatus == 1 { return .success(()) }
        guard s.acceptedKeys[k].remainingActivations > 0 else { return .failure(.init("0xC004C008")) }
        s.acceptedKeys[k].remainingActivations -= 1
        s.products[i].licenseStatus = 1
        return .success(())
    }

    /// The installation ID (`OfflineInstallationId`, `slmgr /dti`): 63 digits, deterministic per
    /// guest, product and installed key. The lower-case hex SHA-256 of
    /// `COMPUTERNAME|activationId|keySha256` (the partial key when no hash is stored), each hex
    /// character replaced by its ASCII code modulo 10, the first 63 kept (docs/guest-simulator.md).
    static func installationID(_ p: GuestState.Product, computerName: String) -> String {
        let d = SHA256.hex(Array("\(computerName.uppercased())|\(p.activationId.lowercased())|\(p.keySha256 ?? p.partialProductKey ?? "")".utf8))
        var out = ""
        for scalar in d.unicodeScalars.prefix(63) { out += String(Int(scalar.value) % 10) }
        return out
    }

    /// The confirmation ID the lab's "Microsoft" gives for an installation ID: 48 digits,
    /// digit i = (iid[i] + iid[i + 15] + i) mod 10 (docs/guest-simulator.md).
    static func confirmationID(for iid: String) -> String {
        let d = iid.compactMap { $0.wholeNumberValue }
        guard d.count >= 63 else { return "" }
        var out = ""
        for i in 0..<48 {
            let digit: Int = (d[i] + d[i + 15] + i) % 10
            out += String(digit)
        }
        return out
    }

    /// `DepositOfflineConfirmationId(installationId, confirmationId)`: the confirmation ID must be
    /// the one `confirmationID(for:)` gives for this product's installation ID (spaces and hyphens
    /// ignored). Malformed, wrong, or no key installed → 0xC004F02C (Windows' code for malformed
    /// offline data; its code for a well-formed but wrong ID was not confirmed). Uses no MAK count.
    static func depositConfirmation(_ cidText: String, index i: Int, in s: inout GuestState) -> Result<Void, HResultError> {
        let cid = cidText.filter { $0 != " " && $0 != "-" }
        guard cid.count == 48, cid.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .failure(.init("0xC004F02C")) }
        guard s.products[i].partialProductKey != nil else { return .failure(.init("0xC004F02C")) }
        guard cid == confirmationID(for: installationID(s.products[i], computerName: s.os.computerName)) else {
            return .failure(.init("0xC004F02C"))
        }
        s.products[i].licenseStatus = 1
        return .success(())
    }
}

/// A Windows HRESULT as `0x` + 8 upper-case hex digits.
struct HResultError: Error {
    let code: String
    init(_ code: String) {
        let hex = code.uppercased().hasPrefix("0X") ? String(code.dropFirst(2)) : code
        self.code = "0x" + String(repeating: "0", count: max(0, 8 - hex.count)) + hex.uppercased()
    }
    var value: UInt32 { UInt32(code.dropFirst(2), radix: 16) ?? 0 }
    /// What a process exit status can carry on Linux: the low 8 bits of the HRESULT.
    var exitStatus: Int32 { Int32(value & 0xFF) }

    /// The system message (what a WMI exception's Message carries), in the guest's language where known.
    func systemText(japanese: Bool) -> String {
        switch code {
        case "0xC004F050": return "The Software Licensing Service reported that the product key is invalid."
        case "0xC004F069": return "The Software Licensing Service reported that the product SKU is not found."
        case "0xC004C008": return "The activation server reported that the product key has exceeded its unlock limit."
        case "0xC004C003": return "The activation server determined the specified product key is blocked."
        case "0xC004C020": return "The activation server reported that the Multiple Activation Key has exceeded its limit."
        case "0xC004F074": return "The Software Licensing Service reported that the computer could not be activated. No Key Management Service (KMS) could be contacted. Please see the Application Event Log for additional information."
        case "0xC004F02C": return "The Software Licensing Service reported that the format for the offline activation data is incorrect."
        case "0x800F081E": return "The specified package is not applicable to this image."
        case "0x800F0922": return "A processing error occurred while installing the package (CBS_E_INSTALLERS_FAILED)."
        default: return "Exception from HRESULT: \(code)"
        }
    }
}
