import Testing

@testable import RedisWire

@Suite("Sentinel replica topology")
struct ReplicaTopologyTests {
    static let a = RedisNode(host: "10.0.0.1", port: 6379)
    static let b = RedisNode(host: "10.0.0.2", port: 6379)
    static let c = RedisNode(host: "10.0.0.3", port: 6379)

    @Test("each list of the sentinels opens the new replicas and closes the ones gone; after shutdown nothing opens")
    func changes() {
        var topology = ReplicaTopology()
        #expect(topology.replicas.isEmpty, "no replicas yet: reads go to the master")
        #expect(topology.listed([Self.a, Self.b]) == .init(added: [Self.a, Self.b], removed: [], changed: true))
        #expect(topology.listed([Self.a, Self.b]) == .init(added: [], removed: [], changed: false))
        #expect(topology.listed([Self.b, Self.c]) == .init(added: [Self.c], removed: [Self.a], changed: true))
        #expect(topology.listed([Self.c, Self.b]) == .init(added: [], removed: [], changed: true), "the order is the rotation's")
        #expect(topology.listed([]) == .init(added: [], removed: [Self.c, Self.b], changed: true), "no usable replica: all close")
        #expect(topology.listed([Self.a]) == .init(added: [Self.a], removed: [], changed: true))
        #expect(topology.shutdown() == [Self.a])
        #expect(topology.listed([Self.b]) == .init(), "a late answer after shutdown opens nothing")
        #expect(topology.replicas.isEmpty && topology.isShutDown)
    }
}
