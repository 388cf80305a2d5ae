import Testing

@testable import RedisWire

@Suite("Cluster routing")
struct ClusterRoutingTests {
    @Test("CRC16/XMODEM and the slots Redis computes")
    func slots() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { HashSlot.crc16($0) } == 0x31C3)
        #expect(HashSlot.slot(for: "foo") == 12182)
        #expect(HashSlot.slot(for: "bar") == 5061)
        #expect(HashSlot.slot(for: "") == 0)
    }

    @Test("hash tags: the first {…} with content decides")
    func hashTags() {
        #expect(HashSlot.slot(for: "{user1000}.following") == HashSlot.slot(for: "user1000"))
        #expect(HashSlot.slot(for: "job:{tenant-a}:x") == HashSlot.slot(for: "tenant-a"))
        #expect(HashSlot.slot(for: "foo{}{bar}") == HashSlot.slot(for: "foo{}{bar}"), "an empty tag means the whole key")
        #expect(HashSlot.slot(for: "foo{}{bar}") != HashSlot.slot(for: "bar"))
        #expect(HashSlot.slot(for: "foo{{bar}}zap") == HashSlot.slot(for: "{bar"))
        #expect(HashSlot.slot(for: "foo{bar") == HashSlot.slot(for: "foo{bar"), "no closing brace: the whole key")
    }

    @Test("CLUSTER SLOTS becomes a slot map; MOVED patches one slot")
    func slotMap() throws {
        func node(_ host: String, _ port: Int64) -> RESPValue {
            .array([.bulkString(Array(host.utf8)), .integer(port), .bulkString(Array("id".utf8))])
        }
        let reply = RESPValue.array([
            .array([.integer(0), .integer(5460), node("10.0.0.1", 7000), node("10.0.0.4", 7003)]),
            .array([.integer(5461), .integer(10922), node("", 7001), node("10.0.0.5", 7004)]),
            .array([.integer(10923), .integer(16383), node("10.0.0.3", 7002)]),
        ])
        var map = try #require(ClusterSlotMap(clusterSlots: reply, defaultHost: "seed.local"))
        #expect(map.shard(for: 0)?.primary == RedisNode(host: "10.0.0.1", port: 7000))
        #expect(map.shard(for: 5460)?.replicas == [RedisNode(host: "10.0.0.4", port: 7003)])
        #expect(map.shard(for: 5461)?.primary == RedisNode(host: "seed.local", port: 7001), "an empty host is the one asked")
        #expect(map.shard(for: 16383)?.replicas == [])
        #expect(map.nodes.count == 5)
        map.move(slot: 0, to: RedisNode(host: "10.0.0.3", port: 7002))
        #expect(map.shard(for: 0)?.primary == RedisNode(host: "10.0.0.3", port: 7002))
        #expect(map.shard(for: 1)?.primary == RedisNode(host: "10.0.0.1", port: 7000))
        #expect(ClusterSlotMap(clusterSlots: .array([]), defaultHost: "x") == nil)
        #expect(ClusterSlotMap(clusterSlots: .array([.array([.integer(0), .integer(99_999), node("a", 1)])]), defaultHost: "x") == nil)
    }

    @Test("redirection addresses, IPv6 included")
    func redirections() {
        #expect(RedisNode(redirection: "127.0.0.1:7002") == RedisNode(host: "127.0.0.1", port: 7002))
        #expect(RedisNode(redirection: "[::1]:7002") == RedisNode(host: "::1", port: 7002))
        #expect(RedisNode(redirection: "nonsense") == nil)
    }
}
