public import Logging
public import NIOCore

/// A `RedisRouter` usable from async code on any thread: what a worker process or the CLI holds.
/// Each call hops to the router's event loop; connections reconnect by themselves.
public final class RedisClient: Sendable {
    public let eventLoop: any EventLoop
    private let router: NIOLoopBound<any RedisRouter>

    private init(eventLoop: any EventLoop, router: NIOLoopBound<any RedisRouter>) {
        self.eventLoop = eventLoop
        self.router = router
    }

    /// Connects to Redis (or a cluster); throws `RedisError` when the first attempt fails.
    public static func connect(
        deployment: RedisDeployment,
        on eventLoop: any EventLoop,
        logger: Logger
    ) async throws -> RedisClient {
        let router = try await eventLoop.flatSubmit {
            let router = deployment.makeRouter(on: eventLoop, logger: logger)
            let bound = NIOLoopBound(router, eventLoop: eventLoop)
            return router.start()
                .assumeIsolated()
                .flatMapError { error in
                    router.shutdown().flatMapThrowing { throw error }
                }
                .map { bound }
                .nonisolated()
        }.get()
        return RedisClient(eventLoop: eventLoop, router: router)
    }

    /// Connects to one Redis server.
    public static func connect(
        configuration: RedisConnectionConfiguration,
        on eventLoop: any EventLoop,
        logger: Logger
    ) async throws -> RedisClient {
        try await self.connect(deployment: .standalone(configuration), on: eventLoop, logger: logger)
    }

    /// Sends one command and returns its reply; an error reply throws `RedisError.server`.
    /// `key` routes the command in a cluster (and keeps commands about one key on one connection);
    /// `readOnly`, with a `key`, lets a router that reads from replicas send it to one.
    public func send(_ arguments: [String], key: String? = nil, readOnly: Bool = false) async throws -> RESPValue {
        try await self.send(bytes: arguments.map { Array($0.utf8) }, key: key, readOnly: readOnly)
    }

    /// The same, for arguments that are any bytes (Redis strings are binary).
    public func send(bytes arguments: [[UInt8]], key: String? = nil, readOnly: Bool = false) async throws -> RESPValue {
        try await self.eventLoop.flatSubmit {
            self.router.value.send(bytes: arguments, key: key, readOnly: readOnly)
        }.get()
    }

    /// Closes the connections and stops reconnecting.
    public func shutdown() async {
        try? await self.eventLoop.flatSubmit {
            self.router.value.shutdown()
        }.get()
    }
}
