import Synchronization

/// Credentials that are replaced while requests read them: the tokens, or the JWT keys.
///
/// A request reads one whole set (never half of an old and half of a new one) under a lock taken
/// only when a connection's cached decision is stale; the generation, read without a lock, tells a
/// connection whether its cached decision was made with the current set.
final class ReloadableCredentials<Value: Sendable>: Sendable {
    private let current: Mutex<(value: Value, generation: UInt64)>
    private let latest = Atomic<UInt64>(0)

    init(_ value: Value) {
        self.current = Mutex((value, 0))
    }

    /// The generation of the set in use: it changes with every replacement.
    var generation: UInt64 {
        self.latest.load(ordering: .acquiring)
    }

    /// The set in use, and its generation.
    func read() -> (value: Value, generation: UInt64) {
        self.current.withLock { $0 }
    }

    /// Puts `value` in use for every request that starts from now on.
    func replace(with value: Value) {
        let generation = self.current.withLock { current in
            current = (value, current.generation &+ 1)
            return current.generation
        }
        self.latest.store(generation, ordering: .releasing)
    }
}
