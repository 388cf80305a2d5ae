/// Why one attempt to connect and log in to Redis failed, in words that name the cause and
/// the setting to look at: it is what the start-up error, the log and `/health/ready` show.
public struct RedisConnectFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
