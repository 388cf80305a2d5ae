/// The replicas a Sentinel router reads from, as a value: each answer of the sentinels is turned
/// into the connections to open and to close; after shutdown, none.
struct ReplicaTopology: Equatable {
    enum State: Equatable {
        /// Reading from `replicas` (none yet: reads go to the master).
        case active(replicas: [RedisNode])
        case shutDown
    }

    /// What an answer of the sentinels changes.
    struct Change: Equatable {
        /// Replicas to connect to.
        var added: [RedisNode] = []
        /// Replicas whose connections close: the sentinels no longer list them as usable.
        var removed: [RedisNode] = []
        /// Whether the list differs from the one before (worth a log line).
        var changed = false
    }

    private(set) var state = State.active(replicas: [])

    /// The replicas reads rotate over.
    var replicas: [RedisNode] {
        if case .active(let replicas) = self.state { return replicas }
        return []
    }

    var isShutDown: Bool { self.state == .shutDown }

    /// The sentinels listed `nodes` as the master's replicas that are up and in sync.
    mutating func listed(_ nodes: [RedisNode]) -> Change {
        guard case .active(let current) = self.state else { return Change() }
        self.state = .active(replicas: nodes)
        return Change(
            added: nodes.filter { !current.contains($0) },
            removed: current.filter { !nodes.contains($0) },
            changed: nodes != current
        )
    }

    /// Nothing more is opened; every replica's connection closes.
    mutating func shutdown() -> [RedisNode] {
        let current = self.replicas
        self.state = .shutDown
        return current
    }
}
