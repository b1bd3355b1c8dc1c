import ESUCore
import Testing

@Suite struct ShardTests {
    static let hosts = (1...1000).map { "guest\($0)" }

    @Test(arguments: [1, 2, 3, 8])
    func everyHostInExactlyOneShard(_ n: Int) throws {
        let shards = try (1...n).map { try Shard("\($0)/\(n)") }
        for host in Self.hosts { #expect(shards.filter { $0.contains(host) }.count == 1) }
        // Roughly even: no shard more than twice its fair share.
        for s in shards { #expect(Self.hosts.filter(s.contains).count <= 2 * Self.hosts.count / n) }
    }

    @Test func stableAcrossRunsByDefinition() {
        // FNV-1a of "guest1" is 0xd1e7a472b0183ea6 (computed outside Swift): a fixed value, so
        // every controller, on any machine and in any run, computes the same partition.
        #expect(Shard.bucket("guest1", of: 1_000_000) == 706_086)
        #expect(Shard.bucket("", of: 7) == Int(0xcbf2_9ce4_8422_2325 as UInt64 % 7))
    }

    @Test(arguments: ["", "1", "0/3", "4/3", "a/b", "1/0", "-1/2", "1/2/3"])
    func rejects(_ text: String) {
        #expect(throws: Shard.ParseError.malformed(text)) { try Shard(text) }
    }
}
