public import Logging
public import NIOCore

/// One `RedisConnection` per event loop of a group: the front's connection pool.
///
/// An HTTP channel always uses the connection of its own event loop, so a poll never leaves its
/// thread, and the commands of all connections served by one loop share one pipelined socket.
public final class RedisConnectionGroup: Sendable {
    private let connections: [ObjectIdentifier: NIOLoopBound<RedisConnection>]

    /// Creates the connections and waits until each one's first attempt settled. A Redis that is
    /// down does not prevent start-up: the connections keep retrying in the background.
    public init(group: any EventLoopGroup, configuration: RedisConnectionConfiguration, logger: Logger) async {
        var connections: [ObjectIdentifier: NIOLoopBound<RedisConnection>] = [:]
        var attempts: [EventLoopFuture<Void>] = []
        for eventLoop in group.makeIterator() {
            let (bound, attempt) = try! await eventLoop.submit {
                let connection = RedisConnection(eventLoop: eventLoop, configuration: configuration, logger: logger)
                return (NIOLoopBound(connection, eventLoop: eventLoop), connection.start())
            }.get()
            connections[ObjectIdentifier(eventLoop)] = bound
            attempts.append(attempt)
        }
        for attempt in attempts {
            try? await attempt.get()
        }
        self.connections = connections
    }

    /// The connection owned by `eventLoop`; call it on that event loop.
    public func connection(on eventLoop: any EventLoop) -> RedisConnection {
        guard let bound = self.connections[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("event loop \(eventLoop) is not part of this connection group")
        }
        return bound.value
    }

    /// Closes every connection and stops reconnecting.
    public func shutdown() async {
        for bound in self.connections.values {
            try? await bound.eventLoop.flatSubmit { bound.value.shutdown() }.get()
        }
    }
}
