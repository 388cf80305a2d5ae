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
    private enum State {
        case idle
        /// `previousCause`: why the attempt before this one failed, if one did; an attempt
        /// can take up to the command timeout, and what went wrong last is still the news.
        case connecting(previousCause: String?)
        /// `url`: where this channel is connected (with Sentinel, the master of the moment).
        case ready(any Channel, RedisChannelHandler, url: RedisURL)
        /// `cause`: why the last attempt failed or the connection was lost, for whoever asks.
        case waitingToReconnect(Scheduled<Void>, cause: String)
        case shutDown
    }

    public let eventLoop: any EventLoop
    public let configuration: RedisConnectionConfiguration
    private let logger: Logger
    private var state: State = .idle
    private var failedAttempts = 0
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
        self.discovery = configuration.sentinel.map { sentinel in
            SentinelDiscovery(eventLoop: eventLoop, sentinel: sentinel, connection: configuration, logger: logger)
        }
    }

    /// Whether commands are accepted right now.
    public var isReady: Bool {
        if case .ready = self.state { return true }
        return false
    }

    /// Starts connecting. The future succeeds once the connection is ready, or fails with the
    /// first attempt's error; either way the connection keeps retrying until `shutdown()`.
    public func start() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        guard case .idle = self.state else { return self.eventLoop.makeSucceededVoidFuture() }
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.firstAttempt = promise
        if let discovery = self.discovery {
            discovery.onPrimaryAnnounced { [unowned self] primary in self.primaryAnnounced(primary) }
            discovery.start()
        }
        self.connect()
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
        guard case .ready(_, let handler, _) = self.state else {
            receiver.fail(.unavailable(self.unavailableReason))
            return
        }
        handler.enqueue(receiver, timeout: timeout, encode: encode)
    }

    /// Stops reconnecting and closes the connection; commands still waiting fail.
    public func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        let previous = self.state
        self.state = .shutDown
        self.firstAttempt?.fail(RedisError.unavailable("the connection was shut down"))
        self.firstAttempt = nil
        let discoveryDone = self.discovery?.shutdown() ?? self.eventLoop.makeSucceededVoidFuture()
        switch previous {
        case .ready(let channel, _, _):
            return channel.close().recover { _ in }.and(discoveryDone).map { _ in }
        case .waitingToReconnect(let scheduled, _):
            scheduled.cancel()
        case .idle, .connecting, .shutDown:
            break
        }
        return discoveryDone
    }

    private var unavailableReason: String {
        switch self.state {
        case .idle: "not connected yet"
        case .connecting(nil): "connecting to \(self.target)"
        case .connecting(let cause?): "connecting to \(self.target) again: \(cause)"
        case .waitingToReconnect(_, let cause): "reconnecting to \(self.target): \(cause)"
        case .shutDown: "shut down"
        case .ready: "ready"
        }
    }

    /// The address of the next attempt: the configured URL, then its alternates in turn.
    private var currentURL: RedisURL {
        let urls = [self.configuration.url] + self.configuration.alternateURLs
        return urls[self.failedAttempts % urls.count]
    }

    /// What this connection reaches, for logs and errors.
    private var target: String {
        if let sentinel = self.configuration.sentinel { return sentinel.description }
        return self.currentURL.description
    }

    /// Starts one attempt: asks the sentinels where the master is (with Sentinel), reads the files
    /// it needs (password, certificates) off the event loop when there are any, then opens the
    /// connection.
    private func connect() {
        if case .waitingToReconnect(_, let cause) = self.state {
            self.state = .connecting(previousCause: cause)
        } else {
            self.state = .connecting(previousCause: nil)
        }
        guard let discovery = self.discovery else {
            self.prepare(self.currentURL, announcements: 0)
            return
        }
        let announcements = discovery.announcements
        discovery.primaryAddress().assumeIsolated().whenComplete { result in
            guard case .connecting = self.state else { return }
            switch result {
            case .success(let primary):
                var url = self.configuration.url
                url.host = primary.host
                url.port = primary.port
                self.prepare(url, announcements: announcements)
            case .failure(let error):
                self.attemptFailed(error as? RedisConnectFailure ?? RedisConnectFailure("\(error)"))
            }
        }
    }

    /// `announcements`: how many masters the sentinels had announced when this attempt began.
    private func prepare(_ url: RedisURL, announcements: UInt64) {
        guard self.configuration.readsFiles else {
            self.open(url, RedisLoginMaterial(tlsContext: nil, password: self.configuration.url.password), announcements: announcements)
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
                self.open(url, material, announcements: announcements)
            case .failure(let error):
                self.attemptFailed(error as? RedisConnectFailure ?? RedisConnectFailure("\(error)"))
            }
        }
    }

    private func open(_ url: RedisURL, _ material: RedisLoginMaterial, announcements: UInt64) {
        guard case .connecting = self.state else { return }
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
                    self.logIn(on: channel, url: url, password: material.password, announcements: announcements)
                case .failure(let error):
                    self.diagnose(error, url: url, loggingIn: false)
                }
            }
    }

    /// Authenticates and selects the database, then PINGs, all pipelined in one write (over TLS,
    /// NIOSSL holds it until the handshake is done); the connection becomes ready only when every
    /// reply is positive (and, with Sentinel, `ROLE` says `master`).
    private func logIn(on channel: any Channel, url: RedisURL, password: String?, announcements: UInt64) {
        let handler: RedisChannelHandler
        do {
            handler = try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self)
            handler.pushReceiver = self.pushReceiver
            if self.discovery != nil {
                handler.onReadOnlyReply = { [weak self, weak channel] in
                    if let channel { self?.demoted(channel) }
                }
            }
        } catch {
            channel.close(promise: nil)
            self.diagnose(error, url: url, loggingIn: false)
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
                    self.connected(channel, handler, url: url)
                case .failure(let error):
                    channel.close(promise: nil)
                    // The pipeline's evidence (a TLS error, the server's certificate) says more than "connection lost".
                    self.diagnose(error, url: url, loggingIn: true, evidence: handler.evidence)
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

    /// `+switch-master` (or the answer after subscribing to it) named `primary`: a connection to
    /// another server closes, and one waiting to reconnect does so now.
    private func primaryAnnounced(_ primary: RedisNode) {
        switch self.state {
        case .ready(let channel, _, let url) where RedisNode(host: url.host, port: url.port) != primary:
            self.logger.notice("the master moved; reconnecting to it", metadata: ["from": "\(url)", "to": "\(primary)"])
            channel.close(promise: nil)
        case .waitingToReconnect(let scheduled, _):
            scheduled.cancel()
            self.connect()
        case .idle, .connecting, .ready, .shutDown:
            break
        }
    }

    /// A `READONLY` reply: the server this connection trusted as the master is a replica now.
    private func demoted(_ channel: any Channel) {
        guard case .ready(let current, _, let url) = self.state, current === channel else { return }
        self.logger.warning("the master answered READONLY: it was demoted; asking the sentinels again", metadata: ["redis": "\(url)"])
        // Not from inside the handler's read: the replies already parsed are delivered first.
        self.eventLoop.assumeIsolated().execute { channel.close(promise: nil) }
    }

    /// Turns an attempt's error into a failure that names its cause.
    private func diagnose(_ error: any Error, url: RedisURL, loggingIn: Bool, evidence: PipelineEvidence = PipelineEvidence()) {
        self.attemptFailed(
            RedisConnectFailure.diagnosing(error, url: url, tls: self.configuration.tls, loggingIn: loggingIn, evidence: evidence)
        )
    }

    private func connected(_ channel: any Channel, _ handler: RedisChannelHandler, url: RedisURL) {
        guard case .connecting = self.state else {
            // Shut down while the handshake was running.
            channel.close(promise: nil)
            return
        }
        if self.failedAttempts > 0 {
            RedisMetrics.reconnects.increment()
            self.logger.notice(
                "reconnected to Redis",
                metadata: ["redis": "\(url)", "failed_attempts": "\(self.failedAttempts)"]
            )
        } else {
            self.logger.debug("connected to Redis", metadata: ["redis": "\(url)"])
        }
        self.failedAttempts = 0
        self.state = .ready(channel, handler, url: url)
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            self.connectionClosed(channel)
        }
        if let firstAttempt = self.firstAttempt {
            self.firstAttempt = nil
            firstAttempt.succeed()
        }
        self.onReadinessChange?(true)
    }

    private func connectionClosed(_ channel: any Channel) {
        guard case .ready(let current, _, let url) = self.state, current === channel else { return }
        RedisMetrics.count(.connectionLost)
        self.logger.warning("lost the connection to Redis", metadata: ["redis": "\(url)"])
        self.scheduleReconnect(cause: "the connection was lost")
        self.onReadinessChange?(false)
    }

    private func attemptFailed(_ failure: RedisConnectFailure) {
        guard case .connecting = self.state else { return }
        self.failedAttempts += 1
        RedisMetrics.count(.unavailable(""))
        let metadata: Logger.Metadata = [
            "redis": "\(self.target)", "error": "\(failure)", "attempt": "\(self.failedAttempts)",
        ]
        // Log the first failure and then sparsely, so an outage does not flood the log.
        if self.failedAttempts.nonzeroBitCount == 1 {
            self.logger.warning("cannot connect to Redis", metadata: metadata)
        } else {
            self.logger.debug("cannot connect to Redis", metadata: metadata)
        }
        self.scheduleReconnect(cause: failure.description)
        // Last: whoever waits for the first attempt may shut the connection down right away.
        if let firstAttempt = self.firstAttempt {
            self.firstAttempt = nil
            firstAttempt.fail(RedisError.unavailable(failure.description))
        }
    }

    private func scheduleReconnect(cause: String) {
        if case .shutDown = self.state { return }
        let delay = self.configuration.backoff(beforeAttempt: self.failedAttempts + 1)
        let scheduled = self.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            guard case .waitingToReconnect = self.state else { return }
            self.connect()
        }
        self.state = .waitingToReconnect(scheduled, cause: cause)
    }
}
