/// `--shard K/N`: a stable partition of the selected hosts, so N controllers (AWX job slices,
/// Kubernetes indexed Jobs) can split one fleet without talking to each other. A host's shard
/// depends only on its inventory name, never on the order or size of the selection.
public struct Shard: Equatable, Sendable, CustomStringConvertible {
    /// 1-based, as job schedulers number their slices.
    public let index: Int
    public let count: Int

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Not `K/N` with 1 ≤ K ≤ N.
        case malformed(String)
        public var description: String {
            switch self {
            case .malformed(let s): return "'\(s)' is not a shard; write K/N with 1 ≤ K ≤ N, e.g. 2/8"
            }
        }
    }

    public init(_ text: String) throws(ParseError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 10_000, (1...n).contains(k) else {
            throw .malformed(text)
        }
        index = k; count = n
    }

    public func contains(_ host: String) -> Bool { Shard.bucket(host, of: count) == index - 1 }

    /// FNV-1a over the name's UTF-8 bytes: fixed by definition, unlike Swift's seeded `hashValue`.
    public static func bucket(_ host: String, of n: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in host.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return Int(h % UInt64(n))
    }

    public var description: String { "\(index)/\(count)" }
}
