public import NIOCore
import NIOConcurrencyHelpers
public import NIOPosix

/// A Redis server of a test's own, in the test's process: it reads commands off loopback
/// connections and answers each from the test's script. Routing, redirections, reconnects and
/// failovers are tested against it without starting redis-server, and the test decides exactly
/// what each node says — a `MOVED`, a `LOADING`, a closed connection, a `+switch-master`.
public final class ScriptedRedisServer: Sendable {
    /// What the script answers a command with.
    public indirect enum Reply: Sendable, Equatable {
        case simple(String)
        case error(String)
        case bulk(String?)
        case integer(Int64)
        case array([Reply])
        /// Never answers: the client's timeout is the test.
        case silence
        /// Closes the connection instead of answering.
        case close

        public static let ok = Reply.simple("OK")
    }

    /// The command (its arguments as text) and the number of the connection it came on (1, 2, …
    /// in the order they were accepted). Nil: the standard answer (`standardReply`).
    public typealias Script = @Sendable (_ command: [String], _ connection: Int) -> Reply?

    private struct State {
        var script: Script
        var commands: [(command: [String], connection: Int)] = []
        var channels: [Int: any Channel] = [:]
        var subscriptions: [Int: Set<String>] = [:]
        var shardedSubscriptions: [Int: Set<String>] = [:]
        var accepted = 0
    }

    public let port: Int
    private let state: NIOLockedValueBox<State>
    private let listener: any Channel

    private init(port: Int, state: NIOLockedValueBox<State>, listener: any Channel) {
        self.port = port
        self.state = state
        self.listener = listener
    }

    /// Listens on a free loopback port.
    public static func start(on group: any EventLoopGroup, script: @escaping Script = { _, _ in nil }) async throws -> ScriptedRedisServer {
        let state = NIOLockedValueBox(State(script: script))
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = state.withLockedValue { state in
                        state.accepted += 1
                        state.channels[state.accepted] = channel
                        return state.accepted
                    }
                    channel.closeFuture.whenComplete { _ in
                        state.withLockedValue { state in
                            state.channels[number] = nil
                            state.subscriptions[number] = nil
                            state.shardedSubscriptions[number] = nil
                        }
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPCommandDecoder()))
                    try channel.pipeline.syncOperations.addHandler(ScriptedConnectionHandler(number: number, state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ScriptedRedisServer(port: listener.localAddress?.port ?? 0, state: state, listener: listener)
    }

    /// Answers from now on with `script`.
    public func setScript(_ script: @escaping Script) {
        self.state.withLockedValue { $0.script = script }
    }

    /// Every command received so far, in order.
    public var commands: [[String]] {
        self.state.withLockedValue { $0.commands.map(\.command) }
    }

    /// The commands received whose name is `name` (any case).
    public func received(_ name: String) -> [[String]] {
        self.commands.filter { $0.first?.uppercased() == name.uppercased() }
    }

    /// How many connections were accepted so far, and how many are open.
    public var acceptedConnections: Int { self.state.withLockedValue { $0.accepted } }
    public var openConnections: Int { self.state.withLockedValue { $0.channels.count } }

    /// Closes every open connection, as a server restart or a network cut would.
    public func dropConnections() {
        let channels = self.state.withLockedValue { Array($0.channels.values) }
        for channel in channels {
            // shutdown(SHUT_WR) first: the FIN goes out even if a spawned process holds a copy of
            // the socket (close only drops this process's reference).
            channel.close(mode: .output, promise: nil)
            channel.close(promise: nil)
        }
    }

    /// The channels connections are subscribed to now, with how many subscribe to each.
    public var subscriptions: [String: Int] {
        self.state.withLockedValue { state in
            state.subscriptions.values.reduce(into: [:]) { counts, channels in
                for channel in channels { counts[channel, default: 0] += 1 }
            }
        }
    }

    /// The sharded channels (`SSUBSCRIBE`) connections are subscribed to now, with how many
    /// subscribe to each.
    public var shardedSubscriptions: [String: Int] {
        self.state.withLockedValue { state in
            state.shardedSubscriptions.values.reduce(into: [:]) { counts, channels in
                for channel in channels { counts[channel, default: 0] += 1 }
            }
        }
    }

    /// Sends a Pub/Sub `message` (`smessage` when `sharded`) to every connection subscribed to
    /// `channel`; how many got it.
    @discardableResult
    public func publish(_ message: String, on channelName: String, sharded: Bool = false) -> Int {
        let targets = self.state.withLockedValue { state in
            (sharded ? state.shardedSubscriptions : state.subscriptions).filter { $0.value.contains(channelName) }
                .compactMap { state.channels[$0.key] }
        }
        for target in targets {
            var buffer = target.allocator.buffer(capacity: 64)
            Self.encode(.array([.bulk(sharded ? "smessage" : "message"), .bulk(channelName), .bulk(message)]), into: &buffer)
            target.writeAndFlush(buffer, promise: nil)
        }
        return targets.count
    }

    /// Ends every sharded subscription to `channel` as Redis does when its slot migrates: an
    /// unprompted `sunsubscribe`. How many connections were told.
    @discardableResult
    public func revoke(_ channelName: String) -> Int {
        let targets = self.state.withLockedValue { state in
            state.shardedSubscriptions.filter { $0.value.contains(channelName) }.compactMap { number, _ -> ((any Channel), Int)? in
                state.shardedSubscriptions[number]?.remove(channelName)
                return state.channels[number].map { ($0, state.shardedSubscriptions[number]?.count ?? 0) }
            }
        }
        for (target, count) in targets {
            var buffer = target.allocator.buffer(capacity: 64)
            Self.encode(.array([.bulk("sunsubscribe"), .bulk(channelName), .integer(Int64(count))]), into: &buffer)
            target.writeAndFlush(buffer, promise: nil)
        }
        return targets.count
    }

    /// Sends `reply` unprompted on connection number `connection` (as a server's push); whether
    /// that connection is open.
    @discardableResult
    public func push(_ reply: Reply, toConnection connection: Int) -> Bool {
        guard let target = self.state.withLockedValue({ $0.channels[connection] }) else { return false }
        var buffer = target.allocator.buffer(capacity: 64)
        Self.encode(reply, into: &buffer)
        target.writeAndFlush(buffer, promise: nil)
        return true
    }

    /// Stops listening and closes every connection. Call it before the event loop group it runs
    /// on shuts down: the close needs the loop.
    public func stop() async {
        // The listener first: a client that reconnects at once must find the port closed, not a
        // connection accepted after the others were dropped.
        try? await self.listener.close()
        self.dropConnections()
    }

    /// What a plain Redis answers to the commands of a connection's login and upkeep: `PING`,
    /// `AUTH`, `SELECT`, `READONLY`, `ASKING`, `CLIENT`, `ROLE` (a master). Nil for the rest.
    public static func standardReply(to command: [String]) -> Reply? {
        switch command.first?.uppercased() {
        case "PING": .simple("PONG")
        case "AUTH", "SELECT", "READONLY", "ASKING", "CLIENT": .ok
        case "ROLE": .array([.bulk("master"), .integer(0), .array([])])
        default: nil
        }
    }

    /// The reply of `HMGET key field…` for a hash holding `fields` (nil: no such key, every field nil).
    public static func hmget(_ command: [String], from fields: [String: String]?) -> Reply {
        .array(command.dropFirst(2).map { .bulk(fields?[$0]) })
    }

    /// The `CLUSTER SLOTS` reply of shards given as (first slot, last slot, primary port, replica ports) on 127.0.0.1.
    public static func clusterSlots(_ shards: [(ClosedRange<Int>, primary: Int, replicas: [Int])]) -> Reply {
        .array(
            shards.map { shard in
                .array(
                    [.integer(Int64(shard.0.lowerBound)), .integer(Int64(shard.0.upperBound))]
                        + ([shard.primary] + shard.replicas).map { .array([.bulk("127.0.0.1"), .integer(Int64($0)), .bulk("id-\($0)")]) }
                )
            }
        )
    }

    static func encode(_ reply: Reply, into buffer: inout ByteBuffer) {
        switch reply {
        case .simple(let text): buffer.writeString("+\(text)\r\n")
        case .error(let text): buffer.writeString("-\(text)\r\n")
        case .bulk(nil): buffer.writeString("$-1\r\n")
        case .bulk(let text?): buffer.writeString("$\(text.utf8.count)\r\n\(text)\r\n")
        case .integer(let value): buffer.writeString(":\(value)\r\n")
        case .array(let elements):
            buffer.writeString("*\(elements.count)\r\n")
            for element in elements { Self.encode(element, into: &buffer) }
        case .silence, .close: break
        }
    }

    /// One connection's commands: `SUBSCRIBE`, `UNSUBSCRIBE` and their sharded forms are answered
    /// here (and remembered for `publish`; a sharded one is the script's first, for a `MOVED`);
    /// everything else by the script, then `standardReply`, else an `ERR`.
    private final class ScriptedConnectionHandler: ChannelInboundHandler, Sendable {
        typealias InboundIn = [String]
        typealias OutboundOut = ByteBuffer

        let number: Int
        let state: NIOLockedValueBox<State>

        init(number: Int, state: NIOLockedValueBox<State>) {
            self.number = number
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let command = self.unwrapInboundIn(data)
            let script = self.state.withLockedValue { state in
                state.commands.append((command, self.number))
                return state.script
            }
            var buffer = context.channel.allocator.buffer(capacity: 64)
            let name = command.first?.uppercased() ?? ""
            let sharded = name == "SSUBSCRIBE" || name == "SUNSUBSCRIBE"
            if sharded, let reply = script(command, self.number) {
                // The script may refuse a sharded subscription (MOVED) before it is remembered.
                ScriptedRedisServer.encode(reply, into: &buffer)
                context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
                return
            }
            switch name {
            case "SUBSCRIBE", "UNSUBSCRIBE", "SSUBSCRIBE", "SUNSUBSCRIBE":
                let subscribing = name == "SUBSCRIBE" || name == "SSUBSCRIBE"
                let table: WritableKeyPath<State, [Int: Set<String>]> = sharded ? \.shardedSubscriptions : \.subscriptions
                for channel in command.dropFirst() {
                    let count = self.state.withLockedValue { state in
                        if subscribing {
                            state[keyPath: table][self.number, default: []].insert(channel)
                        } else {
                            state[keyPath: table][self.number]?.remove(channel)
                        }
                        return state[keyPath: table][self.number]?.count ?? 0
                    }
                    ScriptedRedisServer.encode(.array([.bulk(name.lowercased()), .bulk(channel), .integer(Int64(count))]), into: &buffer)
                }
            default:
                let reply = script(command, self.number) ?? ScriptedRedisServer.standardReply(to: command)
                    ?? .error("ERR the script has no answer to \(command.first ?? "")")
                if reply == .close {
                    context.close(promise: nil)
                    return
                }
                ScriptedRedisServer.encode(reply, into: &buffer)
            }
            if buffer.readableBytes > 0 {
                context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
            }
        }
    }
}

/// The commands a client sends: RESP arrays of bulk strings.
struct RESPCommandDecoder: ByteToMessageDecoder {
    typealias InboundOut = [String]

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var copy = buffer
        guard let count = try Self.header(&copy, marker: UInt8(ascii: "*")) else { return .needMoreData }
        var arguments: [String] = []
        for _ in 0..<count {
            guard let length = try Self.header(&copy, marker: UInt8(ascii: "$")), copy.readableBytes >= length + 2,
                let argument = copy.readString(length: length)
            else { return .needMoreData }
            copy.moveReaderIndex(forwardBy: 2)
            arguments.append(argument)
        }
        buffer = copy
        context.fireChannelRead(self.wrapInboundOut(arguments))
        return .continue
    }

    /// `<marker><digits>\r\n`; nil when incomplete.
    private static func header(_ buffer: inout ByteBuffer, marker: UInt8) throws -> Int? {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        // Bytes, not characters: "\r\n" is one Character.
        guard let line = buffer.readBytes(length: end - buffer.readerIndex + 1), line.first == marker,
            let value = Int(String(decoding: line.dropFirst().dropLast(2), as: UTF8.self))
        else { throw RESPCommandError.notACommand }
        return value
    }

    enum RESPCommandError: Error { case notACommand }
}

/// Scripted servers on one event loop of their own, and the loop the client under test runs on:
/// what a test starts, stopped in the right order (the servers, then the loop) by `shutdown`.
public final class ScriptedRedis: Sendable {
    public let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let servers = NIOLockedValueBox<[ScriptedRedisServer]>([])

    public init() {}

    /// The loop for the client under test.
    public var eventLoop: any EventLoop { self.group.next() }

    /// A new server on a free loopback port.
    public func server(_ script: @escaping ScriptedRedisServer.Script = { _, _ in nil }) async throws -> ScriptedRedisServer {
        let server = try await ScriptedRedisServer.start(on: self.group, script: script)
        self.servers.withLockedValue { $0.append(server) }
        return server
    }

    /// Stops every server, then the loop.
    public func shutdown() async throws {
        for server in self.servers.withLockedValue({ $0 }) {
            await server.stop()
        }
        try await self.group.shutdownGracefully()
    }
}
