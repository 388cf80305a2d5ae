import Logging
import NIOCore

/// Asks Redis Sentinel where the master and its replicas are, and hears when the master moves.
///
/// As the Sentinel client spec says: the sentinels are asked in turn (`SENTINEL
/// get-master-addr-by-name`) and the first that answers moves to the front of the list, so the
/// next question goes to a sentinel known to answer. Asking is for (re)connecting only: each
/// question opens a short-lived connection, since a failover is rare and the hot path never asks.
///
/// One subscriber connection to a sentinel (any of them, in turn) listens to `+switch-master`,
/// so a failover is followed within milliseconds of the sentinels deciding it, not at the next
/// error. Each time that subscription is (re)made the master is asked for again and announced:
/// a switch may have happened while no sentinel was listened to. Owned by one event loop.
final class SentinelDiscovery: RedisPushReceiver {
    let eventLoop: any EventLoop
    let masterName: String
    /// The sentinels, the last one that answered first.
    private var sentinels: [RedisURL]
    /// Timeouts and TLS of the connections to the sentinels.
    private let template: RedisConnectionConfiguration
    private let logger: Logger
    private let questionLogger: Logger
    private var events: RedisConnection?
    private var listeners: [(RedisNode) -> Void] = []
    /// How many times a master was announced, and the last one: an attempt that began before
    /// the last announcement must not settle on another server.
    private(set) var announcements: UInt64 = 0
    private(set) var announcedPrimary: RedisNode?

    static let switchMasterChannel = "+switch-master"

    init(eventLoop: any EventLoop, sentinel: RedisSentinelConfiguration, connection: RedisConnectionConfiguration, logger: Logger) {
        self.eventLoop = eventLoop
        self.masterName = sentinel.masterName
        self.sentinels = sentinel.sentinels
        var template = connection
        template.sentinel = nil
        // The sentinels' password is their URLs'; redis.password_file is the data nodes'.
        template.passwordFile = nil
        template.readOnly = false
        self.template = template
        self.logger = logger
        // A sentinel that is down is reported once, in the failure that names every sentinel.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .error)
        self.questionLogger = quiet
    }

    /// Calls `listener` with the master's address each time it is announced (a `+switch-master`,
    /// or the answer asked for after the subscription was made).
    func onPrimaryAnnounced(_ listener: @escaping (RedisNode) -> Void) {
        self.listeners.append(listener)
    }

    /// Starts listening to `+switch-master`; the subscriber connection retries by itself.
    func start() {
        guard self.events == nil else { return }
        var configuration = self.template
        configuration.url = self.sentinels[0]
        configuration.alternateURLs = Array(self.sentinels.dropFirst())
        let events = RedisConnection(eventLoop: self.eventLoop, configuration: configuration, logger: self.logger, pushReceiver: self)
        events.onReadinessChange = { [unowned self] ready in
            if ready { self.subscribe() }
        }
        self.events = events
        _ = events.start()
    }

    func shutdown() -> EventLoopFuture<Void> {
        self.listeners = []
        let events = self.events
        self.events = nil
        return events?.shutdown() ?? self.eventLoop.makeSucceededVoidFuture()
    }

    /// Where the master is, from the first sentinel that knows.
    func primaryAddress() -> EventLoopFuture<RedisNode> {
        self.askInTurn(["SENTINEL", "get-master-addr-by-name", self.masterName]) { reply, sentinel in
            if reply == .null {
                throw RedisConnectFailure("sentinel \(sentinel) does not monitor a master named '\(self.masterName)' (redis.sentinel.master)")
            }
            guard let parts = reply.array, parts.count == 2, let host = parts[0].string, let port = parts[1].integer.map(Int.init) else {
                throw RedisConnectFailure("sentinel \(sentinel) answered \(reply) to SENTINEL get-master-addr-by-name")
            }
            return RedisNode(host: host, port: port)
        }
    }

    /// The master's replicas that the sentinels see up and in sync with it.
    func replicaAddresses() -> EventLoopFuture<[RedisNode]> {
        self.askInTurn(["SENTINEL", "replicas", self.masterName]) { reply, sentinel in
            guard let replicas = Self.usableReplicas(reply) else {
                throw RedisConnectFailure("sentinel \(sentinel) answered \(reply) to SENTINEL replicas")
            }
            return replicas
        }
    }

    /// The replicas of a `SENTINEL replicas` reply that are up and in sync with the master (not
    /// `s_down`, `o_down` or `disconnected`, `master-link-status` `ok`); nil: not such a reply.
    static func usableReplicas(_ reply: RESPValue) -> [RedisNode]? {
        guard let entries = reply.array else { return nil }
        return entries.compactMap { entry in
            let fields = entry.fields ?? [:]
            let flags = (fields["flags"] ?? "").split(separator: ",")
            let down = flags.contains { ["s_down", "o_down", "disconnected"].contains($0) }
            guard !down, fields["master-link-status"] == "ok", let host = fields["ip"], let port = fields["port"].flatMap(Int.init) else {
                return nil
            }
            return RedisNode(host: host, port: port)
        }
    }

    func receive(_ event: PubSubEvent) {
        guard case .message(_, let payload, _) = event, let primary = Self.switchedPrimary(payload.string, masterName: self.masterName) else { return }
        self.logger.notice("the sentinels switched the master", metadata: ["master": "\(self.masterName)", "to": "\(primary)"])
        self.announce(primary)
    }

    /// The new master of a `+switch-master` message, `<name> <old ip> <old port> <new ip> <new
    /// port>`, when it is about `masterName` (a sentinel may watch several masters).
    static func switchedPrimary(_ message: String, masterName: String) -> RedisNode? {
        let parts = message.split(separator: " ")
        guard parts.count == 5, parts[0] == masterName, let port = Int(parts[4]), (1...65535).contains(port) else { return nil }
        return RedisNode(host: String(parts[3]), port: port)
    }

    private func subscribe() {
        guard let events = self.events else { return }
        events.send(["SUBSCRIBE", Self.switchMasterChannel]).assumeIsolated().whenComplete { result in
            guard case .success = result else { return }
            self.primaryAddress().assumeIsolated().whenSuccess { self.announce($0) }
        }
    }

    private func announce(_ primary: RedisNode) {
        self.announcements += 1
        self.announcedPrimary = primary
        for listener in self.listeners {
            listener(primary)
        }
    }

    /// Asks each sentinel in turn until one answers something `interpret` accepts; that one
    /// moves to the front. The failure names what every sentinel said.
    private func askInTurn<Answer: Sendable>(
        _ command: [String],
        from index: Int = 0,
        failures: [String] = [],
        interpret: @escaping (RESPValue, RedisURL) throws -> Answer
    ) -> EventLoopFuture<Answer> {
        guard index < self.sentinels.count else {
            return self.eventLoop.makeFailedFuture(
                RedisConnectFailure("no sentinel answered for master '\(self.masterName)': " + failures.joined(separator: "; "))
            )
        }
        let sentinel = self.sentinels[index]
        return self.ask(command, at: sentinel).assumeIsolated().flatMapThrowing { reply in
            try interpret(reply, sentinel)
        }
        .map { answer -> Answer in
            if let position = self.sentinels.firstIndex(of: sentinel), position > 0 {
                self.sentinels.remove(at: position)
                self.sentinels.insert(sentinel, at: 0)
            }
            return answer
        }
        .flatMapError { error in
            var reason = "\(error)"
            if case RedisError.unavailable(let cause) = error { reason = cause }
            let address = "\(sentinel.host):\(sentinel.port)"
            let failure = reason.contains(address) ? reason : "\(address): \(reason)"
            return self.askInTurn(command, from: index + 1, failures: failures + [failure], interpret: interpret)
        }
        .nonisolated()
    }

    /// One command on a short-lived connection to `sentinel`.
    private func ask(_ command: [String], at sentinel: RedisURL) -> EventLoopFuture<RESPValue> {
        var configuration = self.template
        configuration.url = sentinel
        configuration.alternateURLs = []
        configuration.heartbeat = nil
        let connection = RedisConnection(eventLoop: self.eventLoop, configuration: configuration, logger: self.questionLogger)
        return connection.start()
            .assumeIsolated()
            .flatMap { connection.send(command) }
            .always { _ in _ = connection.shutdown() }
            .nonisolated()
    }
}
