import Testing

@testable import RedisWire

@Suite("What the sentinels say")
struct SentinelDiscoveryTests {
    @Test(
        "+switch-master names the new master of the master it is about",
        arguments: [
            ("jobs 127.0.0.1 6379 10.0.0.2 6380", RedisNode(host: "10.0.0.2", port: 6380)),
            ("other 127.0.0.1 6379 10.0.0.2 6380", nil),
            ("jobs 127.0.0.1 6379 10.0.0.2", nil),
            ("jobs 127.0.0.1 6379 10.0.0.2 port", nil),
            ("jobs 127.0.0.1 6379 10.0.0.2 70000", nil),
            ("jobs 127.0.0.1 6379 ::1 6380", RedisNode(host: "::1", port: 6380)),
        ] as [(String, RedisNode?)]
    )
    func switchMaster(message: String, expected: RedisNode?) {
        #expect(SentinelDiscovery.switchedPrimary(message, masterName: "jobs") == expected)
    }

    private func replica(_ port: Int, flags: String = "slave", link: String = "ok") -> RESPValue {
        .array(
            [("name", "127.0.0.1:\(port)"), ("ip", "127.0.0.1"), ("port", "\(port)"), ("flags", flags), ("master-link-status", link)]
                .flatMap { [RESPValue.bulkString(Array($0.0.utf8)), .bulkString(Array($0.1.utf8))] }
        )
    }

    @Test("SENTINEL replicas: only replicas that are up and in sync are read from")
    func replicas() {
        let reply = RESPValue.array([
            self.replica(7001),
            self.replica(7002, flags: "s_down,slave"),
            self.replica(7003, flags: "slave,disconnected"),
            self.replica(7004, link: "err"),
            self.replica(7005, flags: "o_down,slave"),
            self.replica(7006),
        ])
        #expect(SentinelDiscovery.usableReplicas(reply) == [RedisNode(host: "127.0.0.1", port: 7001), RedisNode(host: "127.0.0.1", port: 7006)])
        #expect(SentinelDiscovery.usableReplicas(.array([])) == [])
        #expect(SentinelDiscovery.usableReplicas(.error("ERR No such master with that name")) == nil)
    }
}
