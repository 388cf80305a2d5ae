public import Logging
public import NIOCore

/// A `RedisConnection` usable from async code on any thread: what a worker process or the CLI
/// holds. Each call hops to the connection's event loop; the connection reconnects by itself.
public final class RedisClient: Sendable {
    public let eventLoop: any EventLoop
    private let connection: NIOLoopBound<RedisConnection>

    private init(eventLoop: any EventLoop, connection: NIOLoopBound<RedisConnection>) {
        self.eventLoop = eventLoop
        self.connection = connection
    }

    /// Connects to Redis; throws `RedisError` when the first attempt fails.
    public static func connect(
        configuration: RedisConnectionConfiguration,
        on eventLoop: any EventLoop,
        logger: Logger
    ) async throws -> RedisClient {
        let connection = try await eventLoop.flatSubmit {
            let connection = RedisConnection(eventLoop: eventLoop, configuration: configuration, logger: logger)
            let bound = NIOLoopBound(connection, eventLoop: eventLoop)
            return connection.start()
                .assumeIsolated()
                .flatMapError { error in
                    connection.shutdown().flatMapThrowing { throw error }
                }
                .map { bound }
                .nonisolated()
        }.get()
        return RedisClient(eventLoop: eventLoop, connection: connection)
    }

    /// Sends one command and returns its reply; an error reply throws `RedisError.server`.
    public func send(_ arguments: [String]) async throws -> RESPValue {
        try await self.eventLoop.flatSubmit {
            self.connection.value.send(arguments)
        }.get()
    }

    /// Closes the connection and stops reconnecting.
    public func shutdown() async {
        try? await self.eventLoop.flatSubmit {
            self.connection.value.shutdown()
        }.get()
    }
}
