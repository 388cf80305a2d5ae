/// Why a write did not happen, or did not become durable enough. In every case but
/// `notReplicated` the record is unchanged.
public enum JobWriteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call breaks the record contract (bad id, eta, JSON shape, size, …).
    case invalidArgument(String)
    /// The job does not exist: never created, or expired.
    case notFound(String)
    /// The transition is not allowed: the id is taken, or the job is already terminal.
    case refused(String)
    /// Redis could not be reached or did not answer in time.
    case redisUnavailable(String)
    /// Redis answered something the contract does not foresee.
    case unexpectedReply(String)
    /// The write happened on the primary, but no replica acknowledged it in time
    /// (`durability: .replicated`).
    case notReplicated(String)

    public var description: String {
        switch self {
        case .invalidArgument(let message): "invalid: \(message)"
        case .notFound(let message): "not found: \(message)"
        case .refused(let message): "refused: \(message)"
        case .redisUnavailable(let message): "Redis unavailable: \(message)"
        case .unexpectedReply(let message): "unexpected reply from Redis: \(message)"
        case .notReplicated(let message): "not replicated: \(message)"
        }
    }
}
