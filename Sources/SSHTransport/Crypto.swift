internal import CCrypto
import Digest
import Foundation

enum Crypto {
    static func hmacSHA1(key: Data, message: Data) -> Data {
        var out = [UInt8](repeating: 0, count: 20)
        let ok = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in esu_hmac_sha1(k.baseAddress, key.count, m.baseAddress, message.count, &out) }
        }
        precondition(ok == 1, "libcrypto HMAC-SHA1 failed")
        return Data(out)
    }
}

/// Host-key presentation the way OpenSSH prints it.
public enum HostKeyFingerprint {
    /// `SHA256:` + unpadded base64 of the SHA-256 of the key blob, as `ssh-keygen -lf` shows it.
    public static func sha256(ofKeyBlob blob: Data) -> String {
        var b64 = SHA256.digest(blob).base64EncodedString()
        while b64.hasSuffix("=") { b64.removeLast() }
        return "SHA256:" + b64
    }

    /// The key type named inside the blob itself (first SSH string), e.g. `ssh-ed25519`.
    static func keyType(ofKeyBlob blob: Data) -> String? {
        let bytes = [UInt8](blob)
        guard bytes.count >= 4 else { return nil }
        let n = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard n > 0, n <= 64, bytes.count >= 4 + n else { return nil }
        return String(decoding: bytes[4..<(4 + n)], as: UTF8.self)
    }

    /// OpenSSH's short label for the warning text: ED25519, ECDSA, RSA.
    static func label(forKeyType t: String) -> String {
        if t == "ssh-ed25519" { return "ED25519" }
        if t.hasPrefix("ecdsa-") { return "ECDSA" }
        if t == "ssh-rsa" { return "RSA" }
        if t == "ssh-dss" { return "DSA" }
        return t
    }
}
