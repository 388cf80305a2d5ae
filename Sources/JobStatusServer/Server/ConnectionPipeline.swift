public import JobStatusConfiguration
public import JobStatusCore
public import Logging
public import NIOCore

/// The handlers of one front connection, in order: the request-bytes gate (which parses the
/// requests), the request handler. The listener installs it on every accepted channel; the micro-benchmarks
/// in Benchmarks/ install it on an embedded channel over an in-memory store, so the whole poll
/// path (request bytes in, response bytes out) is measured without a socket or a Redis.
public struct ConnectionPipeline {
    let server: ServerContext
    let loop: LoopResources

    init(server: ServerContext, loop: LoopResources) {
        self.server = server
        self.loop = loop
    }

    /// A pipeline of one event loop's connections over `store`, as `serve` would configure it
    /// (without metrics, tracing or an operator listener).
    public init(configuration: ServerConfiguration, authentication: Authentication, logger: Logger, store: any JobStore) {
        self.init(
            server: ServerContext(configuration: configuration, authentication: authentication, logger: logger, metricsRegistry: nil),
            loop: LoopResources(store: store)
        )
    }

    /// Adds the handlers to `channel`; call it on the channel's event loop.
    public func install(on channel: any Channel) throws {
        let handler = JobRequestHandler(server: self.server, loop: self.loop)
        try channel.pipeline.syncOperations.addHandlers([handler.makeGate(), handler])
    }
}
