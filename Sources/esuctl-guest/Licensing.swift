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

    /// `DepositOfflineConfirmationId`: any all-digit confirmation ID of plausible length is accepted.
    static func depositConfirmation(_ cid: String, index i: Int, in s: inout GuestState) -> Result<Void, HResultError> {
        guard cid.count >= 42, cid.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .failure(.init("0xC004F02C")) }
        guard s.products[i].partialProductKey != nil else { return .failure(.init("0xC004F02C")) }
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
