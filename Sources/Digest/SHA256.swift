internal import CCrypto
import Foundation

/// SHA-256 from Debian's libcrypto: the agent script's fingerprint, payload hashes, audit chains.
public enum SHA256 {
    public static func digest(_ data: Data) -> Data {
        var out = [UInt8](repeating: 0, count: 32)
        let ok = data.withUnsafeBytes { esu_sha256($0.baseAddress, data.count, &out) }
        // EVP_Digest fails only on allocation failure or a broken libcrypto: nothing to recover.
        precondition(ok == 1, "libcrypto SHA-256 failed")
        return Data(out)
    }

    /// Lower-case hex, as `Get-FileHash` and `sha256sum` print it (case aside).
    public static func hex(_ data: Data) -> String {
        digest(data).map { String(format: "%02x", $0) }.joined()
    }
}
