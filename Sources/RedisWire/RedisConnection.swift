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
public final class RedisConnection: RedisRouter {
    private enum State {
        case idle
        /// `previousCause`: why the attempt before this one failed, if one did; an attempt
        /// can take up to the command timeout, and what went wrong last is still the news.
        case connecting(previousCause: String?)
        case ready(any Channel, RedisChannelHandler)
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
        self.eventLoop.assertInEventLoop()
        guard case .ready(_, let handler) = self.state else {
            receiver.fail(.unavailable(self.unavailableReason))
            return
        }
        handler.enqueue(receiver, encode: encode)
    }

    /// Stops reconnecting and closes the connection; commands still waiting fail.
    public func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        let previous = self.state
        self.state = .shutDown
        self.firstAttempt?.fail(RedisError.unavailable("the connection was shut down"))
        self.firstAttempt = nil
        switch previous {
        case .ready(let channel, _):
            return channel.close().recover { _ in }
        case .waitingToReconnect(let scheduled, _):
            scheduled.cancel()
        case .idle, .connecting, .shutDown:
            break
        }
        return self.eventLoop.makeSucceededVoidFuture()
    }

    private var unavailableReason: String {
        switch self.state {
        case .idle: "not connected yet"
        case .connecting(nil): "connecting to \(self.configuration.url)"
        case .connecting(let cause?): "connecting to \(self.configuration.url) again: \(cause)"
        case .waitingToReconnect(_, let cause): "reconnecting to \(self.configuration.url): \(cause)"
        case .shutDown: "shut down"
        case .ready: "ready"
        }
    }

    /// The address of the next attempt: the configured URL, then its alternates in turn.
    private var currentURL: RedisURL {
        let urls = [self.configuration.url] + self.configuration.alternateURLs
        return urls[self.failedAttempts % urls.count]
    }

    /// Starts one attempt: reads the files it needs (password, certificates) off the event loop
    /// when there are any, then opens the connection.
    private func connect() {
        if case .waitingToReconnect(_, let cause) = self.state {
            self.state = .connecting(previousCause: cause)
        } else {
            self.state = .connecting(previousCause: nil)
        }
        let url = self.currentURL
        guard self.configuration.readsFiles else {
            self.open(url, RedisLoginMaterial(tlsContext: nil, password: self.configuration.url.password))
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
                self.open(url, material)
            case .failure(let error):
                self.attemptFailed(error as? RedisConnectFailure ?? RedisConnectFailure("\(error)"))
            }
        }
    }

    private func open(_ url: RedisURL, _ material: RedisLoginMaterial) {
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
                    self.logIn(on: channel, url: url, password: material.password)
                case .failure(let error):
                    self.diagnose(error, url: url, loggingIn: false)
                }
            }
    }

    /// Authenticates and selects the database, then PINGs, all pipelined in one write (over TLS,
    /// NIOSSL holds it until the handshake is done); the connection becomes ready only when every
    /// reply is positive.
    private func logIn(on channel: any Channel, url: RedisURL, password: String?) {
        let handler: RedisChannelHandler
        do {
            handler = try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self)
            handler.pushReceiver = self.pushReceiver
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
            .whenComplete { result in
                switch result {
                case .success:
                    self.connected(channel, handler)
                case .failure(let error):
                    channel.close(promise: nil)
                    // The pipeline's evidence (a TLS error, the server's certificate) says more than "connection lost".
                    self.diagnose(error, url: url, loggingIn: true, evidence: handler.evidence)
                }
            }
    }

    /// Turns an attempt's error into a failure that names its cause.
    private func diagnose(_ error: any Error, url: RedisURL, loggingIn: Bool, evidence: PipelineEvidence = PipelineEvidence()) {
        self.attemptFailed(
            RedisConnectFailure.diagnosing(error, url: url, tls: self.configuration.tls, loggingIn: loggingIn, evidence: evidence)
        )
    }

    private func connected(_ channel: any Channel, _ handler: RedisChannelHandler) {
        guard case .connecting = self.state else {
            // Shut down while the handshake was running.
            channel.close(promise: nil)
            return
        }
        if self.failedAttempts > 0 {
            RedisMetrics.reconnects.increment()
            self.logger.notice(
                "reconnected to Redis",
                metadata: ["redis": "\(self.currentURL)", "failed_attempts": "\(self.failedAttempts)"]
            )
        } else {
            self.logger.debug("connected to Redis", metadata: ["redis": "\(self.currentURL)"])
        }
        self.failedAttempts = 0
        self.state = .ready(channel, handler)
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
        guard case .ready(let current, _) = self.state, current === channel else { return }
        RedisMetrics.count(.connectionLost)
        self.logger.warning("lost the connection to Redis", metadata: ["redis": "\(self.configuration.url)"])
        self.scheduleReconnect(cause: "the connection was lost")
        self.onReadinessChange?(false)
    }

    private func attemptFailed(_ failure: RedisConnectFailure) {
        guard case .connecting = self.state else { return }
        self.failedAttempts += 1
        RedisMetrics.count(.unavailable(""))
        let metadata: Logger.Metadata = [
            "redis": "\(self.currentURL)", "error": "\(failure)", "attempt": "\(self.failedAttempts)",
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
