import Foundation

/// Whether running the same step again can succeed.
public enum Retry: String, Codable, Sendable {
    /// A transient condition: trying again later can work as it is.
    case yes
    /// Only after the remedy has been applied.
    case afterRemedy
    /// Not at all: the outcome is final (already installed, not applicable, success).
    case no
}

/// What an operator needs to know about a code or symptom.
public struct Explanation: Codable, Equatable, Sendable {
    /// The code as `0xC004F074`, or the topic name for symptoms without a code.
    public let code: String
    /// Windows' own name for it, where it has one (`SL_E_...`, `WU_E_...`).
    public let symbol: String?
    public let meaning: String
    public let remedy: String
    public let retry: Retry
    /// True for codes that report success (3010, already installed).
    public let success: Bool
}

/// The troubleshooting table: activation and servicing codes an ESU rollout meets, with their
/// usual remedy. Matching is by exact code, then by family (any `0x8024xxxx` Windows Update error).
public enum ErrorKnowledge {
    struct Entry {
        let code: UInt32
        let symbol: String?
        let meaning: String
        let remedy: String
        let retry: Retry
        var success = false
    }

    static let prepOrRestart = "usually the ESU preparation package (KB5017220 on 2012 R2, KB5017221 on 2012) is missing, or the guest was not restarted after it: run `esuctl status` to see which, install it, restart, then install the key again"

    static let entries: [Entry] = [
        Entry(code: 0xC004E016, symbol: "SL_E_PKEY_INVALID_CONFIG",
              meaning: "the Software Licensing Service rejected the product key",
              remedy: prepOrRestart, retry: .afterRemedy),
        Entry(code: 0xC004F050, symbol: "SL_E_INVALID_PRODUCT_KEY",
              meaning: "the Software Licensing Service reported that the product key is invalid",
              remedy: prepOrRestart + "; also check that the key is an ESU key for Windows Server 2012/2012 R2", retry: .afterRemedy),
        Entry(code: 0xC004F069, symbol: "SL_E_MISMATCHED_PRODUCT_SKU",
              meaning: "the product SKU was not found: the key does not match this edition or the ESU add-on is not present",
              remedy: "check that the key is a Windows Server 2012/2012 R2 ESU key (not 2008 R2 or Windows 7) and that the preparation package is installed and the guest restarted", retry: .afterRemedy),
        Entry(code: 0xC004C003, symbol: "SL_E_CHPA_PRODUCT_KEY_BLOCKED",
              meaning: "the activation server reported that the product key is blocked",
              remedy: "the MAK has been blocked by Microsoft; get a replacement key from the Microsoft 365 admin center / Volume Licensing Service Center", retry: .afterRemedy),
        Entry(code: 0xC004C008, symbol: "SL_E_CHPA_MAXIMUM_UNLOCK_EXCEEDED",
              meaning: "the activation server reported that the product key has exceeded its activation count",
              remedy: "the MAK is exhausted: request more activations for it (Volume Licensing Service Center or Microsoft licensing support) or use another key, then activate again", retry: .afterRemedy),
        Entry(code: 0xC004C020, symbol: "SL_E_CHPA_DMAK_LIMIT_EXCEEDED",
              meaning: "the activation server reported that the Multiple Activation Key has exceeded its limit",
              remedy: "the MAK is exhausted: request more activations for it or use another key, then activate again", retry: .afterRemedy),
        Entry(code: 0xC004F025, symbol: "SL_E_LUA_ACCESSDENIED",
              meaning: "access denied: the licensing action needs elevated (administrator) rights",
              remedy: "connect with an account in the guest's local Administrators group; over OpenSSH for Windows an administrator's session is elevated", retry: .afterRemedy),
        Entry(code: 0x80070005, symbol: "E_ACCESSDENIED",
              meaning: "access denied",
              remedy: "connect with an account in the guest's local Administrators group; check that the file or service is not locked by another process", retry: .afterRemedy),
        Entry(code: 0xC004F074, symbol: "SL_E_VL_BINDING_SERVICE_UNAVAILABLE",
              meaning: "no Key Management Service (KMS) could be contacted to activate",
              remedy: "with ESU this usually means `slmgr /ato` ran without the ESU Activation ID, so Windows tried KMS: run `slmgr /ato <ESU Activation ID>` (esuctl does). If the guest really uses KMS, check TCP 1688 to the KMS host, the firewall, and the DNS SRV record _vlmcs._tcp", retry: .afterRemedy),
        Entry(code: 0x8007232B, symbol: "DNS_ERROR_RCODE_NAME_ERROR",
              meaning: "DNS name does not exist: no KMS SRV record (_vlmcs._tcp) was found",
              remedy: "for ESU activate with the ESU Activation ID (MAK), which needs no KMS; for KMS, publish the _vlmcs._tcp SRV record or set the KMS host with slmgr /skms", retry: .afterRemedy),
        Entry(code: 0x80072EE7, symbol: "WININET_E_NAME_NOT_RESOLVED",
              meaning: "the activation server's name could not be resolved",
              remedy: "check the guest's DNS and proxy settings and its route to the Internet, or activate by phone (esuctl activate-offline)", retry: .yes),
        Entry(code: 0x80072F8F, symbol: nil,
              meaning: "a secure connection to the activation server failed, most often because the guest's clock is wrong",
              remedy: "correct the guest's date, time and time zone, then activate again", retry: .afterRemedy),
        Entry(code: 0x80240017, symbol: "WU_E_NOT_APPLICABLE",
              meaning: "the update is not applicable to this computer",
              remedy: "check that the package matches the OS (2012 R2 vs 2012, x64) and that its prerequisites (the SSU) are installed", retry: .no),
        Entry(code: 0x00240006, symbol: "WU_S_ALREADY_INSTALLED",
              meaning: "the update is already installed",
              remedy: "nothing to do", retry: .no, success: true),
        Entry(code: 0x00000BC2, symbol: "ERROR_SUCCESS_REBOOT_REQUIRED",
              meaning: "success (3010): the change takes effect after a restart",
              remedy: "restart the guest (esuctl does with --allow-restart) before installing the ESU key", retry: .no, success: true),
        Entry(code: 0x800F081E, symbol: "CBS_E_NOT_APPLICABLE",
              meaning: "DISM: the package is not applicable to this image",
              remedy: "check that the .msu matches the OS version and architecture, and that the SSU is installed first", retry: .no),
    ]

    /// Codes that have a family meaning rather than one entry.
    static func family(_ code: UInt32) -> Entry? {
        if code & 0xFFFF_F000 == 0x8024_0000 || code & 0xFFFF_0000 == 0x8024_0000 {
            return Entry(code: code, symbol: "WU_E_*",
                         meaning: "a Windows Update Agent error",
                         remedy: "check the servicing stack update first (an SSU released on or after 2023-08-08 must be installed), then read %windir%\\WindowsUpdate.log on the guest", retry: .afterRemedy)
        }
        return nil
    }

    /// Symptoms without a single code, from the troubleshooting table.
    static let topics: [(names: [String], explanation: Explanation)] = [
        (["activation-not-completing", "activation"],
         Explanation(code: "activation-not-completing", symbol: nil,
                     meaning: "activation does not complete, or the ESU entry never shows License Status: Licensed",
                     remedy: "check that the right year's ESU key is installed (slmgr /dlv shows its last five characters) and that /ato used that year's ESU Activation ID, not the Windows one; `esuctl catalog show` lists the IDs",
                     retry: .afterRemedy, success: false)),
        (["restart-loop", "reboot-loop"],
         Explanation(code: "restart-loop", symbol: nil,
                     meaning: "the guest restarts repeatedly after updates",
                     remedy: "isolate third-party drivers and services (boot into safe mode or a clean boot), read the System event log for the failing component, and restore from the pre-change checkpoint if needed",
                     retry: .afterRemedy, success: false)),
    ]

    public enum LookupError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Neither a code nor a known topic.
        case notACode(String)

        public var description: String {
            switch self {
            case .notACode(let s):
                let names = ErrorKnowledge.topics.map(\.names[0]).joined(separator: ", ")
                return "'\(s)' is not an error code; write it as 0xC004F074, C004F074 or -1073418124, or name a topic (\(names))"
            }
        }
    }

    /// Looks up a code in any of its printed forms, or a symptom topic. A well-formed code that is
    /// not in the table gets a generic explanation rather than an error.
    public static func explain(_ text: String) throws(LookupError) -> Explanation {
        let key = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let topic = topics.first(where: { $0.names.contains(key) }) { return topic.explanation }
        let candidates = WindowsErrorCode.candidates(text)
        guard let first = candidates.first else { throw .notACode(text) }
        for c in candidates {
            if let e = entries.first(where: { $0.code == c.value }) { return explanation(e) }
        }
        for c in candidates {
            if let e = family(c.value) { return explanation(e) }
        }
        return Explanation(code: first.hex, symbol: nil,
                           meaning: "not in esuctl's troubleshooting table",
                           remedy: "on the guest, `slui.exe 0x2a \(first.hex)` shows Windows' own text for it; `esuctl diagnose` collects the surrounding state",
                           retry: .afterRemedy, success: false)
    }

    /// The known entry for a code reported by a step, if any.
    public static func known(_ code: WindowsErrorCode) -> Explanation? {
        (entries.first { $0.code == code.value } ?? family(code.value)).map(explanation)
    }

    public static var allCodes: [WindowsErrorCode] { entries.map { WindowsErrorCode($0.code) } }

    static func explanation(_ e: Entry) -> Explanation {
        Explanation(code: WindowsErrorCode(e.code).hex, symbol: e.symbol, meaning: e.meaning,
                    remedy: e.remedy, retry: e.retry, success: e.success)
    }
}
