import CoreMetrics
public import JobStatusConfiguration
import JobStatusStore
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOPosix
public import Prometheus
import RedisWire
public import ServiceLifecycle
import Synchronization

/// The front: an HTTP/1.1 server answering job polls, run as a swift-service-lifecycle service.
///
/// On graceful shutdown (SIGTERM/SIGINT through the `ServiceGroup`) it stops accepting, lets
/// in-flight requests finish for at most `http.shutdown_timeout`, then closes Redis and exits.
public final class HTTPServer: Service {
    private let configuration: ServerConfiguration
    private let authentication: Authentication
    private let logger: Logger
    private let metricsRegistry: PrometheusCollectorRegistry?
    private let tracer: RequestTracer?
    private let onListening: @Sendable (Int) -> Void

    /// - Parameters:
    ///   - metricsRegistry: what `/metrics` serves (the registry behind the bootstrapped
    ///     swift-metrics factory); nil to serve no metrics.
    ///   - tracer: the spans of each API request (`TracingSetup`); nil while tracing is off.
    ///   - onListening: called with the bound port once the server accepts connections.
    public init(
        configuration: ServerConfiguration,
        authentication: Authentication,
        logger: Logger,
        metricsRegistry: PrometheusCollectorRegistry? = nil,
        tracer: RequestTracer? = nil,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.authentication = authentication
        self.logger = logger
        self.metricsRegistry = metricsRegistry
        self.tracer = tracer
        self.onListening = onListening
    }

    public func run() async throws {
        let threads = self.configuration.http.threads > 0 ? self.configuration.http.threads : System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let deployment = self.configuration.redis.deployment
        let stores = await RedisJobStoreGroup(group: group, deployment: deployment, keyPrefix: self.configuration.jobs.keyPrefix, logger: self.logger)
        let loops = await LoopResourcesMap(group: group, stores: stores)
        RequestMetrics.register()
        PollStateMetrics.register()
        RedisMetrics.register()
        let readiness = RedisReadinessGauge(group: group, stores: stores)
        Gauge(label: "jobstatus_http_connections_limit").record(self.configuration.limits.maxConnections)
        let server = ServerContext(
            configuration: self.configuration,
            authentication: self.authentication,
            logger: self.logger,
            metricsRegistry: self.metricsRegistry,
            tracer: self.tracer
        )
        // Released before the event loops stop: its deinit completes a promise on one of them.
        var quiesce: ServerQuiescingHelper? = ServerQuiescingHelper(group: group)

        let channel: any Channel
        var operatorChannel: (any Channel)?
        do {
            channel = try await self.bootstrap(group: group, quiesce: quiesce!, server: server, loops: loops)
                .bind(host: self.configuration.http.host, port: self.configuration.http.port)
                .get()
            if self.configuration.metrics.port > 0 {
                let operatorContext = ServerContext(
                    configuration: self.configuration,
                    authentication: .none,
                    logger: self.logger,
                    metricsRegistry: self.metricsRegistry,
                    keySource: self.authentication.keySource,
                    isOperatorListener: true
                )
                operatorChannel = try await self.bootstrap(group: group, quiesce: nil, server: operatorContext, loops: loops)
                    .bind(host: self.configuration.http.host, port: self.configuration.metrics.port)
                    .get()
            }
        } catch {
            quiesce = nil
            readiness.stop()
            await stores.shutdown()
            try? await group.shutdownGracefully()
            throw ConfigurationError(
                "cannot listen on \(self.configuration.http.host):\(self.configuration.http.port) (http.host, http.port): \(error)"
            )
        }
        let port = channel.localAddress?.port ?? self.configuration.http.port
        self.logger.info(
            "listening",
            metadata: [
                "address": "\(self.configuration.http.host):\(port)", "threads": "\(threads)",
                "redis": "\(deployment.description)", "auth": "\(self.configuration.auth.mode.rawValue)",
            ]
        )
        self.onListening(port)

        let drained = group.next().makePromise(of: Void.self)
        if operatorChannel != nil {
            self.logger.info("serving metrics and health for operators", metadata: ["port": "\(self.configuration.metrics.port)"])
        }
        do {
            let draining = quiesce!
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                draining.initiateShutdown(promise: drained)
            }
        }
        try? await operatorChannel?.close()
        self.logger.info("shutting down: no new connections, finishing in-flight requests")
        await Self.wait(for: drained.futureResult, atMost: self.configuration.http.shutdownTimeout, on: group.next())
        quiesce = nil
        readiness.stop()
        await stores.shutdown()
        try await group.shutdownGracefully()
        self.logger.info("stopped")
    }

    /// - Parameter quiesce: collects the connections to drain on shutdown (nil for the operator
    ///   listener, which simply closes).
    private func bootstrap(
        group: MultiThreadedEventLoopGroup,
        quiesce: ServerQuiescingHelper?,
        server: ServerContext,
        loops: LoopResourcesMap
    ) -> ServerBootstrap {
        let connections = ConnectionCounter(limit: self.configuration.limits.maxConnections)
        let perAddress = self.configuration.limits.maxConnectionsPerAddress > 0
            ? AddressConnectionCounter(limit: self.configuration.limits.maxConnectionsPerAddress) : nil
        let writeTimeout = self.configuration.http.writeTimeout.wholeMilliseconds
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let quiesce {
                        try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                    }
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // What one connection may have waiting for its peer before it stops being served.
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            .childChannelInitializer { channel in
                guard connections.open() else {
                    // Over limits.max_connections: refuse at once rather than degrade everyone.
                    RequestMetrics.refusedConnections.increment()
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in connections.close() }
                if let perAddress {
                    // Over limits.max_connections_per_address: one peer cannot take every slot.
                    let address = AddressConnectionCounter.key(of: channel.remoteAddress)
                    guard perAddress.open(address) else {
                        RequestMetrics.refusedConnections.increment()
                        return channel.close()
                    }
                    channel.closeFuture.whenComplete { _ in perAddress.close(address) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    #if os(Linux)
                    // Output the peer leaves unacknowledged, or untransmitted behind its zero window,
                    // for http.write_timeout ends the connection in the kernel too (TCP_USER_TIMEOUT,
                    // Linux 2.6.37; zero windows since 4.19): once the front has closed it, nothing
                    // else would stop the kernel keeping an unread answer.
                    try channel.syncOptions?.setOption(
                        ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_USER_TIMEOUT))),
                        value: SocketOptionValue(writeTimeout)
                    )
                    #endif
                    try ConnectionPipeline(server: server, loop: loops.resources(on: channel.eventLoop)).install(on: channel)
                }
            }
    }

    /// Waits until `future` completes or `limit` passes, whichever is first.
    private static func wait(for future: EventLoopFuture<Void>, atMost limit: Duration, on eventLoop: any EventLoop) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumed = NIOLockedValueBox(false)
            let resume: @Sendable () -> Void = {
                let first = resumed.withLockedValue { wasResumed in
                    defer { wasResumed = true }
                    return !wasResumed
                }
                if first { continuation.resume() }
            }
            future.whenComplete { _ in resume() }
            eventLoop.scheduleTask(in: TimeAmount(limit)) { resume() }
        }
    }
}

/// Counts open HTTP connections against `limits.max_connections`.
final class ConnectionCounter: Sendable {
    private let limit: Int
    private let count = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place for a new connection; false when there is none.
    func open() -> Bool {
        let now = self.count.wrappingAdd(1, ordering: .relaxed).newValue
        guard now <= self.limit else {
            self.count.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func close() {
        self.count.wrappingSubtract(1, ordering: .relaxed)
    }
}

/// The `LoopResources` of every event loop of the group, created once at start-up.
final class LoopResourcesMap: Sendable {
    private let resources: [ObjectIdentifier: NIOLoopBound<LoopResources>]

    init(group: MultiThreadedEventLoopGroup, stores: RedisJobStoreGroup) async {
        var resources: [ObjectIdentifier: NIOLoopBound<LoopResources>] = [:]
        for eventLoop in group.makeIterator() {
            resources[ObjectIdentifier(eventLoop)] = try! await eventLoop.submit {
                NIOLoopBound(LoopResources(store: stores.store(on: eventLoop)), eventLoop: eventLoop)
            }.get()
        }
        self.resources = resources
    }

    /// The resources of `eventLoop`; call it on that loop.
    func resources(on eventLoop: any EventLoop) -> LoopResources {
        self.resources[ObjectIdentifier(eventLoop)]!.value
    }
}
