/// Which node serves each of the 16384 slots: the primary, and its replicas.
///
/// Built from a `CLUSTER SLOTS` reply; a `MOVED` redirection patches one slot until the next full
/// refresh.
struct ClusterSlotMap {
    struct Shard {
        var primary: RedisNode
        var replicas: [RedisNode]
    }

    private(set) var shards: [Shard] = []
    /// Shard index per slot; -1 for a slot no node serves.
    private var slots = [Int16](repeating: -1, count: HashSlot.count)

    /// Parses `CLUSTER SLOTS`: `[[start, end, [host, port, id], [replica host, port, id]…]…]`.
    init?(clusterSlots reply: RESPValue, defaultHost: String) {
        guard let ranges = reply.array, !ranges.isEmpty else { return nil }
        for range in ranges {
            guard let entry = range.array, entry.count >= 3, let start = entry[0].integer, let end = entry[1].integer,
                (0..<Int64(HashSlot.count)).contains(start), start <= end, end < Int64(HashSlot.count)
            else { return nil }
            let nodes = entry[2...].compactMap { Self.node($0, defaultHost: defaultHost) }
            guard let primary = nodes.first else { return nil }
            let shardIndex: Int
            if let existing = self.shards.firstIndex(where: { $0.primary == primary }) {
                shardIndex = existing
            } else {
                shardIndex = self.shards.count
                self.shards.append(Shard(primary: primary, replicas: Array(nodes.dropFirst())))
            }
            for slot in Int(start)...Int(end) {
                self.slots[slot] = Int16(shardIndex)
            }
        }
    }

    /// The shard serving `slot`, if any.
    func shard(for slot: Int) -> Shard? {
        let index = self.slots[slot]
        return index >= 0 ? self.shards[Int(index)] : nil
    }

    /// Every node the map knows, primaries first.
    var nodes: [RedisNode] {
        self.shards.map(\.primary) + self.shards.flatMap(\.replicas)
    }

    /// `MOVED slot node`: the slot is now served by `node` (as a primary).
    mutating func move(slot: Int, to node: RedisNode) {
        if let index = self.shards.firstIndex(where: { $0.primary == node }) {
            self.slots[slot] = Int16(index)
        } else {
            self.shards.append(Shard(primary: node, replicas: []))
            self.slots[slot] = Int16(self.shards.count - 1)
        }
    }

    private static func node(_ value: RESPValue, defaultHost: String) -> RedisNode? {
        guard let fields = value.array, fields.count >= 2, let port = fields[1].integer else { return nil }
        // An empty host means "the address you reached me at".
        let host = fields[0].string.flatMap { $0.isEmpty || $0 == "?" ? nil : $0 } ?? defaultHost
        return RedisNode(host: host, port: Int(port))
    }
}
