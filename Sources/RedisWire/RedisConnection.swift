public import Logging
public import NIOCore
import NIOPosix

/// One self-healing connection to a Redis server, owned by one event loop.
///
/// Every method must be called on `eventLoop`. Commands are only accepted while the connection is
/// ready; otherwise they fail at once with `RedisError.unavailable` instead of piling up. After a
/// loss the connection retries by itself (immediately, then with capped exponential backoff) and
/// logs in again (`AUTH`, `SELECT`) before accepting commands.
public final class RedisConnection: RedisRouter {
    private enum State {
        case idle
        case connecting
        case ready(any Channel, RedisChannelHandler)
        case waitingToReconnect(Scheduled<Void>)
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
        case .waitingToReconnect(let scheduled):
            scheduled.cancel()
        case .idle, .connecting, .shutDown:
            break
        }
        return self.eventLoop.makeSucceededVoidFuture()
    }

    private var unavailableReason: String {
        switch self.state {
        case .idle: "not connected yet"
        case .connecting: "connecting to \(self.configuration.url)"
        case .waitingToReconnect: "reconnecting to \(self.configuration.url)"
        case .shutDown: "shut down"
        case .ready: "ready"
        }
    }

    /// The address of the next attempt: the configured URL, then its alternates in turn.
    private var currentURL: RedisURL {
        let urls = [self.configuration.url] + self.configuration.alternateURLs
        return urls[self.failedAttempts % urls.count]
    }

    private func connect() {
        self.state = .connecting
        let url = self.currentURL
        let commandTimeout = self.configuration.commandTimeout
        let maxPending = self.configuration.maxPendingCommands
        let heartbeat = self.configuration.heartbeat
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(self.configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // The kernel's own, much slower, probe of a silent peer, behind the heartbeat.
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = RedisChannelHandler(commandTimeout: commandTimeout, maxPendingCommands: maxPending, heartbeat: heartbeat)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: url.host, port: url.port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.logIn(on: channel)
                case .failure(let error):
                    self.attemptFailed(error)
                }
            }
    }

    /// Authenticates and selects the database, then PINGs, all pipelined in one write; the
    /// connection becomes ready only when every reply is positive.
    private func logIn(on channel: any Channel) {
        let handler: RedisChannelHandler
        do {
            handler = try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self)
            handler.pushReceiver = self.pushReceiver
        } catch {
            channel.close(promise: nil)
            self.attemptFailed(error)
            return
        }
        var commands: [[String]] = []
        let url = self.configuration.url
        if let password = url.password {
            commands.append(url.user.map { ["AUTH", $0, password] } ?? ["AUTH", password])
        }
        if url.database != 0 {
            commands.append(["SELECT", String(url.database)])
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
                    self.attemptFailed(error)
                }
            }
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
        self.scheduleReconnect()
        self.onReadinessChange?(false)
    }

    private func attemptFailed(_ error: any Error) {
        guard case .connecting = self.state else { return }
        self.failedAttempts += 1
        RedisMetrics.count(.unavailable(""))
        let metadata: Logger.Metadata = [
            "redis": "\(self.currentURL)", "error": "\(error)", "attempt": "\(self.failedAttempts)",
        ]
        // Log the first failure and then sparsely, so an outage does not flood the log.
        if self.failedAttempts.nonzeroBitCount == 1 {
            self.logger.warning("cannot connect to Redis", metadata: metadata)
        } else {
            self.logger.debug("cannot connect to Redis", metadata: metadata)
        }
        self.scheduleReconnect()
        // Last: whoever waits for the first attempt may shut the connection down right away.
        if let firstAttempt = self.firstAttempt {
            self.firstAttempt = nil
            firstAttempt.fail(Self.unavailable(error))
        }
    }

    private func scheduleReconnect() {
        if case .shutDown = self.state { return }
        let delay = self.configuration.backoff(beforeAttempt: self.failedAttempts + 1)
        let scheduled = self.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            guard case .waitingToReconnect = self.state else { return }
            self.connect()
        }
        self.state = .waitingToReconnect(scheduled)
    }

    private static func unavailable(_ error: any Error) -> RedisError {
        if let redisError = error as? RedisError {
            switch redisError {
            case .server: return redisError
            case .unavailable: return redisError
            default: return .unavailable(redisError.description)
            }
        }
        return .unavailable("\(error)")
    }
}
