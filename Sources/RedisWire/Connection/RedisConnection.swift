public import Logging
public import NIOCore
import NIOPosix
import NIOSSL

/// One self-healing connection to a Redis server, owned by one event loop.
///
/// Every method must be called on `eventLoop`. Commands are only accepted while the connection is
/// ready; otherwise they fail at once with `RedisError.unavailable` instead of piling up. After a
/// loss the connection retries by itself (immediately, then with capped exponential backoff) and
/// logs in again (`AUTH`, `SELECT`) before accepting commands.
///
/// With a `sentinel` configuration the server is whichever the sentinels name as the master: it
/// is asked for at every attempt, and `ROLE` must say `master` before the connection is ready. A
/// `+switch-master` for another address, or a `READONLY` error reply (the server was demoted
/// under it), closes the connection, and the next attempt asks the sentinels again: a write
/// never goes to a demoted primary.
public final class RedisConnection: RedisRouter {
    /// What a ready connection holds.
    struct Link {
        let channel: any Channel
        let handler: RedisChannelHandler
    }

    public let eventLoop: any EventLoop
    public let configuration: RedisConnectionConfiguration
    private let logger: Logger
    /// The connection's life (`RedisConnectionStateMachine`); this class carries out its actions.
    private var machine: RedisConnectionStateMachine<Link>
    /// The timer the machine's `failed` and `lost` arm.
    private var reconnectTimer: Scheduled<Void>?
    /// Whoever waits for the first attempt (`start`).
    private var firstAttempt: EventLoopPromise<Void>?
    private let pushReceiver: (any RedisPushReceiver)?
    /// Where the master is, with a `sentinel` configuration.
    let discovery: SentinelDiscovery?

    /// Called with `true` each time the connection becomes ready and `false` each time a ready
    /// connection is lost (a subscriber must then assume its subscriptions are gone).
    public var onReadinessChange: ((Bool) -> Void)?

    /// - Parameter pushReceiver: makes this a subscriber connection: Pub/Sub messages go there.
    public init(
        eventLoop: any EventLoop,
        configuration: RedisConnectionConfiguration,
        logger: Logger,
        pushReceiver: (any RedisPushReceiver)? = nil
    ) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.pushReceiver = pushReceiver
        self.machine = RedisConnectionStateMachine { [configuration] in configuration.backoff(beforeAttempt: $0) }
        self.discovery = configuration.sentinel.map { sentinel in
            SentinelDiscovery(eventLoop: eventLoop, sentinel: sentinel, connection: configuration, logger: logger)
        }
    }

    /// Whether commands are accepted right now.
    public var isReady: Bool { self.machine.isReady }

    /// Starts connecting. The future succeeds once the connection is ready, or fails with the
    /// first attempt's error; either way the connection keeps retrying until `shutdown()`.
    public func start() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        guard case .idle = self.machine.state else { return self.eventLoop.makeSucceededVoidFuture() }
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.firstAttempt = promise
        if let discovery = self.discovery {
            discovery.onPrimaryAnnounced { [unowned self] primary in self.perform(self.machine.primaryAnnounced(primary)) }
            discovery.start()
        }
        self.perform(self.machine.start())
        return promise.futureResult
    }

    /// Sends one command; `receiver` gets the reply (or the failure) exactly once. The key does
    /// not matter to a single connection.
    public func send(
        key: UnsafeRawBufferPointer,
        readOnly: Bool,
        to receiver: any RedisReplyReceiver,
        encode: (inout ByteBuffer) -> Void
    ) {
        self.send(to: receiver, encode: encode)
    }

    /// Sends one command; `receiver` gets the reply (or the failure) exactly once.
    public func send(to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        self.send(to: receiver, timeout: nil, encode: encode)
    }

    /// The same, with a shorter timeout than the connection's (see `RedisChannelHandler.enqueue`).
    func send(to receiver: any RedisReplyReceiver, timeout: TimeAmount?, encode: (inout ByteBuffer) -> Void) {
        self.eventLoop.assertInEventLoop()
        guard case .ready(let link, _, _) = self.machine.state else {
            receiver.fail(.unavailable(self.unavailableReason))
            return
        }
        link.handler.enqueue(receiver, timeout: timeout, encode: encode)
    }

    /// Stops reconnecting and closes the connection; commands still waiting fail.
    public func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        let (link, cancelTimer) = self.machine.shutdown()
        self.firstAttempt?.fail(RedisError.unavailable("the connection was shut down"))
        self.firstAttempt = nil
        if cancelTimer {
            self.reconnectTimer?.cancel()
            self.reconnectTimer = nil
        }
        let discoveryDone = self.discovery?.shutdown() ?? self.eventLoop.makeSucceededVoidFuture()
        guard let link else { return discoveryDone }
        return link.channel.close().recover { _ in }.and(discoveryDone).map { _ in }
    }

    private var unavailableReason: String {
        switch self.machine.state {
        case .idle: "not connected yet"
        case .connecting(_, nil): "connecting to \(self.target)"
        case .connecting(_, let cause?): "connecting to \(self.target) again: \(cause)"
        case .waitingToReconnect(let cause): "reconnecting to \(self.target): \(cause)"
        case .shutDown: "shut down"
        case .ready: "ready"
        }
    }

    /// The address of the next attempt: the configured URL, then its alternates in turn.
    private var currentURL: RedisURL {
        let urls = [self.configuration.url] + self.configuration.alternateURLs
        return urls[self.machine.failures % urls.count]
    }

    // MARK: - Carrying out the machine's actions

    private func perform(_ action: RedisConnectionStateMachine<Link>.Action) {
        switch action {
        case .none:
            break
        case .connect(let attempt, let cancelTimer):
            if cancelTimer {
                self.reconnectTimer?.cancel()
                self.reconnectTimer = nil
            }
            self.connect(attempt)
        case .ready(let link, let attempt, let url, let afterFailures):
            if afterFailures > 0 {
                RedisMetrics.reconnects.increment()
                self.logger.notice("reconnected to Redis", metadata: ["redis": "\(url)", "failed_attempts": "\(afterFailures)"])
            } else {
                self.logger.debug("connected to Redis", metadata: ["redis": "\(url)"])
            }
            link.channel.closeFuture.assumeIsolated().whenComplete { _ in
                self.perform(self.machine.linkClosed(attempt))
            }
            if let firstAttempt = self.firstAttempt {
                self.firstAttempt = nil
                firstAttempt.succeed()
            }
            self.onReadinessChange?(true)
        case .failed(let cause, let failures, let loud, let retryIn):
            RedisMetrics.count(.unavailable(""))
            let metadata: Logger.Metadata = ["redis": "\(self.target)", "error": "\(cause)", "attempt": "\(failures)"]
            // The first failure and then sparsely, so an outage does not flood the log.
            if loud {
                self.logger.warning("cannot connect to Redis", metadata: metadata)
            } else {
                self.logger.debug("cannot connect to Redis", metadata: metadata)
            }
            self.armReconnectTimer(in: retryIn)
            // Last: whoever waits for the first attempt may shut the connection down right away.
            if let firstAttempt = self.firstAttempt {
                self.firstAttempt = nil
                firstAttempt.fail(RedisError.unavailable(cause))
            }
        case .lost(let url, let retryIn):
            RedisMetrics.count(.connectionLost)
            self.logger.warning("lost the connection to Redis", metadata: ["redis": "\(url)"])
            self.armReconnectTimer(in: retryIn)
            self.onReadinessChange?(false)
        case .close(let link, let reason):
            switch reason {
            case .primaryMoved(let from, let to):
                self.logger.notice("the master moved; reconnecting to it", metadata: ["from": "\(from)", "to": "\(to)"])
            case .demoted(let url):
                self.logger.warning("the master answered READONLY: it was demoted; asking the sentinels again", metadata: ["redis": "\(url)"])
            case .overtaken:
                break
            }
            link.channel.close(promise: nil)
        }
    }

    private func armReconnectTimer(in delay: TimeAmount) {
        self.reconnectTimer = self.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.reconnectTimer = nil
            self.perform(self.machine.reconnectTimerFired())
        }
    }

    // MARK: - One attempt

    /// What this connection reaches, for logs and errors.
    private var target: String {
        if let sentinel = self.configuration.sentinel { return sentinel.description }
        return self.currentURL.description
    }

    /// Starts one attempt: asks the sentinels where the master is (with Sentinel), reads the files
    /// it needs (password, certificates) off the event loop when there are any, then opens the
    /// connection.
    private func connect(_ attempt: UInt64) {
        guard let discovery = self.discovery else {
            self.prepare(self.currentURL, attempt: attempt, announcements: 0)
            return
        }
        let announcements = discovery.announcements
        discovery.primaryAddress().assumeIsolated().whenComplete { result in
            guard self.machine.isConnecting(attempt) else { return }
            switch result {
            case .success(let primary):
                var url = self.configuration.url
                url.host = primary.host
                url.port = primary.port
                self.prepare(url, attempt: attempt, announcements: announcements)
            case .failure(let error):
                self.attemptFailed(attempt, error as? RedisConnectFailure ?? RedisConnectFailure("\(error)"))
            }
        }
    }

    /// `announcements`: how many masters the sentinels had announced when this attempt began.
    private func prepare(_ url: RedisURL, attempt: UInt64, announcements: UInt64) {
        guard self.configuration.readsFiles else {
            let material = RedisLoginMaterial(tlsContext: nil, password: self.configuration.url.password)
            self.open(url, material, attempt: attempt, announcements: announcements)
            return
        }
        let configuration = self.configuration
        NIOThreadPool.singleton.runIfActive(eventLoop: self.eventLoop) {
            try configuration.loadLoginMaterial()
        }
        .assumeIsolated()
        .whenComplete { result in
            switch result {
            case .success(let material):
                self.open(url, material, attempt: attempt, announcements: announcements)
            case .failure(let error):
                self.attemptFailed(attempt, error as? RedisConnectFailure ?? RedisConnectFailure("\(error)"))
            }
        }
    }

    private func open(_ url: RedisURL, _ material: RedisLoginMaterial, attempt: UInt64, announcements: UInt64) {
        guard self.machine.isConnecting(attempt) else { return }
        let commandTimeout = self.configuration.commandTimeout
        let maxPending = self.configuration.maxPendingCommands
        let heartbeat = self.configuration.heartbeat
        let serverHostname = self.configuration.tls?.serverHostname(for: url)
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(self.configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // The kernel's own, much slower, probe of a silent peer, behind the heartbeat.
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext = material.tlsContext {
                        let tls = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)
                        try channel.pipeline.syncOperations.addHandler(tls)
                    }
                    let handler = RedisChannelHandler(commandTimeout: commandTimeout, maxPendingCommands: maxPending, heartbeat: heartbeat)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: url.host, port: url.port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.logIn(on: channel, url: url, password: material.password, attempt: attempt, announcements: announcements)
                case .failure(let error):
                    self.diagnose(error, url: url, attempt: attempt, loggingIn: false)
                }
            }
    }

    /// Authenticates and selects the database, then PINGs, all pipelined in one write (over TLS,
    /// NIOSSL holds it until the handshake is done); the connection becomes ready only when every
    /// reply is positive (and, with Sentinel, `ROLE` says `master`).
    private func logIn(on channel: any Channel, url: RedisURL, password: String?, attempt: UInt64, announcements: UInt64) {
        let handler: RedisChannelHandler
        do {
            handler = try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self)
            handler.pushReceiver = self.pushReceiver
            if self.discovery != nil {
                handler.onReadOnlyReply = { [weak self] in
                    guard let self else { return }
                    // Not from inside the handler's read: the replies already parsed are delivered first.
                    self.eventLoop.assumeIsolated().execute { self.perform(self.machine.demoted(attempt)) }
                }
            }
        } catch {
            channel.close(promise: nil)
            self.diagnose(error, url: url, attempt: attempt, loggingIn: false)
            return
        }
        var commands: [[String]] = []
        let credentials = self.configuration.url
        if let password {
            commands.append(credentials.user.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if credentials.database != 0 {
            commands.append(["SELECT", String(credentials.database)])
        }
        if self.configuration.readOnly {
            commands.append(["READONLY"])
        }
        if self.discovery != nil {
            commands.append(["ROLE"])
        }
        commands.append(["PING"])
        let replies = commands.map { command in
            let promise = self.eventLoop.makePromise(of: RESPValue.self)
            handler.enqueue(PromiseReplyReceiver(promise)) { buffer in
                RedisCommandEncoder.encode(command, into: &buffer)
            }
            return promise.futureResult
        }
        EventLoopFuture.whenAllSucceed(replies, on: self.eventLoop)
            .assumeIsolated()
            .flatMapThrowing { values in
                if self.discovery != nil {
                    try self.checkRole(values[values.count - 2], of: url, announcements: announcements)
                }
            }
            .whenComplete { result in
                switch result {
                case .success:
                    self.perform(self.machine.attemptSucceeded(attempt, link: Link(channel: channel, handler: handler), url: url))
                case .failure(let error):
                    channel.close(promise: nil)
                    // The pipeline's evidence (a TLS error, the server's certificate) says more than "connection lost".
                    self.diagnose(error, url: url, attempt: attempt, loggingIn: true, evidence: handler.evidence)
                }
            }
    }

    /// With Sentinel: the server must be the master, and still the one announced last.
    private func checkRole(_ role: RESPValue, of url: RedisURL, announcements: UInt64) throws(RedisConnectFailure) {
        let name = self.configuration.sentinel?.masterName ?? ""
        let answered = role.array?.first?.string ?? "\(role)"
        guard answered == "master" else {
            throw RedisConnectFailure(
                "\(url) is not the master of '\(name)' (ROLE answered \(answered)): not using it; asking the sentinels again"
            )
        }
        if let discovery = self.discovery, discovery.announcements != announcements, let announced = discovery.announcedPrimary,
            announced != RedisNode(host: url.host, port: url.port)
        {
            throw RedisConnectFailure("the sentinels switched the master of '\(name)' to \(announced) while connecting to \(url)")
        }
    }

    /// Turns an attempt's error into a failure that names its cause.
    private func diagnose(
        _ error: any Error,
        url: RedisURL,
        attempt: UInt64,
        loggingIn: Bool,
        evidence: PipelineEvidence = PipelineEvidence()
    ) {
        self.attemptFailed(
            attempt,
            RedisConnectFailure.diagnosing(error, url: url, tls: self.configuration.tls, loggingIn: loggingIn, evidence: evidence)
        )
    }

    private func attemptFailed(_ attempt: UInt64, _ failure: RedisConnectFailure) {
        self.perform(self.machine.attemptFailed(attempt, cause: failure.description))
    }
}
