/// Whether the store answers, and if not, why: the reason (a wrong CA, a refused password, a
/// server that does not speak TLS) is what an operator needs from `/health/ready`.
public enum StoreHealth: Sendable, Equatable {
    case ready
    case unavailable(reason: String)

    public var isReady: Bool { self == .ready }
}
