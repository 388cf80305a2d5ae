/// Why a Redis command produced no reply, or what error reply it got.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection is established right now (connecting, backing off, or shut down).
    case unavailable(String)
    /// The command was not answered within the per-command timeout; the connection was reset.
    case timeout
    /// The connection closed before the command was answered.
    case connectionLost
    /// Too many commands are already waiting on this connection.
    case overloaded
    /// The server sent bytes that are not RESP; the connection was reset.
    case protocolViolation(String)
    /// The server answered with an error reply (for example `NOSCRIPT …` or `WRONGPASS …`).
    case server(RedisErrorReply)

    public var description: String {
        switch self {
        case .unavailable(let reason): "Redis is unavailable: \(reason)"
        case .timeout: "Redis did not answer within the command timeout"
        case .connectionLost: "the connection to Redis was lost before the reply arrived"
        case .overloaded: "too many Redis commands are already in flight on this connection"
        case .protocolViolation(let reason): "Redis sent an invalid reply: \(reason)"
        case .server(let reply): reply.message
        }
    }

    /// Whether the server sent bytes that are not RESP.
    public var isProtocolViolation: Bool {
        if case .protocolViolation = self { return true }
        return false
    }

    /// The server's error reply; nil for the client's own errors.
    public var serverError: RedisErrorReply? {
        guard case .server(let reply) = self else { return nil }
        return reply
    }
}
