public import Logging
public import NIOCore

/// One `RedisRouter` per event loop of a group: the front's connection pool.
///
/// An HTTP channel always uses the router of its own event loop, so a poll never leaves its
/// thread, and the commands of all connections served by one loop share their sockets.
public final class RedisRouterGroup: Sendable {
    private let routers: [ObjectIdentifier: NIOLoopBound<any RedisRouter>]

    /// Creates the routers and waits until each one's first attempt settled. A Redis that is
    /// down does not prevent start-up: the routers keep retrying in the background.
    public init(group: any EventLoopGroup, deployment: RedisDeployment, logger: Logger) async {
        var routers: [ObjectIdentifier: NIOLoopBound<any RedisRouter>] = [:]
        var attempts: [EventLoopFuture<Void>] = []
        for eventLoop in group.makeIterator() {
            let (bound, attempt) = try! await eventLoop.submit {
                let router = deployment.makeRouter(on: eventLoop, logger: logger)
                return (NIOLoopBound(router, eventLoop: eventLoop), router.start())
            }.get()
            routers[ObjectIdentifier(eventLoop)] = bound
            attempts.append(attempt)
        }
        for attempt in attempts {
            try? await attempt.get()
        }
        self.routers = routers
    }

    /// The router owned by `eventLoop`; call it on that event loop.
    public func router(on eventLoop: any EventLoop) -> any RedisRouter {
        guard let bound = self.routers[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("event loop \(eventLoop) is not part of this router group")
        }
        return bound.value
    }

    /// Closes every connection and stops reconnecting.
    public func shutdown() async {
        for bound in self.routers.values {
            try? await bound.eventLoop.flatSubmit { bound.value.shutdown() }.get()
        }
    }
}
