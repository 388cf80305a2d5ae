import Logging
import NIOCore
import NIOEmbedded
import NIOTLS

#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import RedisWire

/// Records what a command received.
private final class RecordingReceiver: RedisReplyReceiver {
    var replies: [RESPValue] = []
    var failures: [RedisError] = []

    func receive(_ reply: RedisReply) {
        self.replies.append(reply.value)
    }

    func fail(_ error: RedisError) {
        self.failures.append(error)
    }
}

@Suite("The connection's channel handler")
struct RedisChannelHandlerTests {
    private func makeChannel(
        timeout: TimeAmount = .seconds(1),
        maxPending: Int = 100,
        heartbeat: TimeAmount? = nil
    ) throws -> (EmbeddedChannel, RedisChannelHandler) {
        let handler = RedisChannelHandler(commandTimeout: timeout, maxPendingCommands: maxPending, heartbeat: heartbeat)
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6379)).wait()
        return (channel, handler)
    }

    @Test("commands queued in one tick leave in one write, replies go back in order")
    func pipelinesAndMatches() throws {
        let (channel, handler) = try self.makeChannel()
        let receivers = (0..<3).map { _ in RecordingReceiver() }
        for (index, receiver) in receivers.enumerated() {
            handler.enqueue(receiver) { RedisCommandEncoder.encode(["GET", "k\(index)"], into: &$0) }
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing is written before the tick ends")
        channel.embeddedEventLoop.run()
        let written = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: written) == "*2\r\n$3\r\nGET\r\n$2\r\nk0\r\n*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n*2\r\n$3\r\nGET\r\n$2\r\nk2\r\n")
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)

        try channel.writeInbound(ByteBuffer(string: "$2\r\nv0\r\n$-"))
        try channel.writeInbound(ByteBuffer(string: "1\r\n-ERR nope\r\n"))
        #expect(receivers[0].replies == [.bulkString(Array("v0".utf8))])
        #expect(receivers[1].replies == [.null])
        #expect(receivers[2].replies == [.error("ERR nope")])
        #expect(handler.pendingCount == 0)
    }

    @Test("a pipeline error (a TLS handshake's) fails the queued commands as lost and is kept for the login's diagnosis")
    func keepsFirstError() throws {
        let (channel, handler) = try self.makeChannel()
        let receiver = RecordingReceiver()
        handler.enqueue(receiver) { RedisCommandEncoder.encode(["PING"], into: &$0) }
        #expect(!handler.evidence.tlsHandshakeCompleted)
        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        #expect(handler.evidence.tlsHandshakeCompleted)
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "read"))
        channel.pipeline.fireErrorCaught(RedisError.timeout)
        #expect(receiver.failures == [.connectionLost])
        #expect((handler.evidence.firstError as? IOError)?.errnoCode == ECONNRESET, "the first error, not a later one")
        #expect(!channel.isActive)
    }

    enum ReplicaFailure: CaseIterable { case loading, lostConnection, timeout }

    @Test(
        "cluster reads: a replica's LOADING, lost connection or timeout sends the read on (here: no slot map, so unavailable); the primary's is the answer",
        arguments: ReplicaFailure.allCases
    )
    func replicaFailuresAreNotAnswers(failure: ReplicaFailure) throws {
        let loop = EmbeddedEventLoop()
        let seed = RedisURL(host: "127.0.0.1", port: 7000)
        let router = RedisClusterRouter(
            eventLoop: loop,
            configuration: RedisClusterConfiguration(seeds: [seed], connection: RedisConnectionConfiguration(url: seed), readFromReplicas: true),
            logger: Logger(label: "test")
        )
        for replica in [RedisNode(host: "127.0.0.1", port: 7001), nil] {
            let (channel, handler) = try self.makeChannel()
            let receiver = RecordingReceiver()
            let command = ClusterCommand(router: router, receiver: receiver, slot: 1, readOnly: true, bytes: ByteBuffer(), replica: replica)
            handler.enqueue(command) { RedisCommandEncoder.encode(["HMGET", "job:x", "status"], into: &$0) }
            channel.embeddedEventLoop.run()
            switch failure {
            case .lostConnection: channel.pipeline.fireChannelInactive()
            case .loading: try channel.writeInbound(ByteBuffer(string: "-LOADING Redis is loading the dataset in memory\r\n"))
            case .timeout: channel.embeddedEventLoop.advanceTime(by: .seconds(1))
            }
            switch (replica, failure) {
            case (.some, _):
                #expect(receiver.replies.isEmpty)
                #expect(receiver.failures == [.unavailable("no node of the cluster serves slot 1")], "retried, not answered")
            case (nil, .loading):
                #expect(receiver.replies == [.error("LOADING Redis is loading the dataset in memory")])
            case (nil, .lostConnection):
                #expect(receiver.failures == [.connectionLost])
            case (nil, .timeout):
                #expect(receiver.failures == [.timeout])
            }
        }
        // Shut down first: the refresh each failure scheduled then asks no node.
        _ = router.shutdown()
        _ = try? loop.syncShutdownGracefully()
    }

    @Test("a command not answered within the timeout fails everything queued and closes the connection")
    func timeout() throws {
        let (channel, handler) = try self.makeChannel(timeout: .milliseconds(500))
        let first = RecordingReceiver()
        let second = RecordingReceiver()
        handler.enqueue(first) { RedisCommandEncoder.encode(["PING"], into: &$0) }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(300))
        handler.enqueue(second) { RedisCommandEncoder.encode(["PING"], into: &$0) }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(199))
        #expect(first.failures.isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(first.failures == [.timeout])
        #expect(second.failures == [.timeout])
        #expect(!channel.isActive)
    }

    @Test("a replica read's own timeout (half the command timeout) fails it early, leaving time for its retry")
    func shorterTimeout() throws {
        let (channel, handler) = try self.makeChannel(timeout: .milliseconds(500))
        let receiver = RecordingReceiver()
        let replicaTimeout = ReplicaRotation.readTimeout(commandTimeout: .milliseconds(500))
        #expect(replicaTimeout == .milliseconds(250))
        handler.enqueue(receiver, timeout: replicaTimeout) { RedisCommandEncoder.encode(["HMGET", "job:x", "status"], into: &$0) }
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(249))
        #expect(receiver.failures.isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(receiver.failures == [.timeout])
        #expect(!channel.isActive, "the stalled replica's connection is reset like any other")
    }

    @Test("a READONLY reply (a master demoted under the connection) is reported, and still answers its command")
    func readOnlyReply() throws {
        let (channel, handler) = try self.makeChannel()
        var reported = 0
        handler.onReadOnlyReply = { reported += 1 }
        let receivers = (0..<2).map { _ in RecordingReceiver() }
        for receiver in receivers {
            handler.enqueue(receiver) { RedisCommandEncoder.encode(["EVALSHA", "x", "1", "job:x"], into: &$0) }
        }
        channel.embeddedEventLoop.run()
        try channel.writeInbound(ByteBuffer(string: "-ERR other\r\n-READONLY You can't write against a read only replica.\r\n"))
        #expect(reported == 1)
        #expect(receivers[0].replies == [.error("ERR other")])
        #expect(receivers[1].replies == [.error("READONLY You can't write against a read only replica.")])
    }

    @Test("answered commands do not time out")
    func answeredInTime() throws {
        let (channel, handler) = try self.makeChannel(timeout: .milliseconds(500))
        let receiver = RecordingReceiver()
        handler.enqueue(receiver) { RedisCommandEncoder.encode(["PING"], into: &$0) }
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(receiver.replies == [.simpleString("PONG")])
        #expect(receiver.failures.isEmpty)
        #expect(channel.isActive)
    }

    @Test("a reply nobody waits for is a protocol violation")
    func unexpectedReply() throws {
        let (channel, _) = try self.makeChannel()
        try channel.writeInbound(ByteBuffer(string: "+OK\r\n"))
        #expect(!channel.isActive)
    }

    @Test("garbage from the server fails waiting commands and closes")
    func garbage() throws {
        let (channel, handler) = try self.makeChannel()
        let receiver = RecordingReceiver()
        handler.enqueue(receiver) { RedisCommandEncoder.encode(["PING"], into: &$0) }
        _ = try? channel.writeInbound(ByteBuffer(string: "?garbage\r\n"))
        #expect(receiver.failures.count == 1)
        if case .protocolViolation = receiver.failures.first {} else { Issue.record("expected a protocol violation") }
        #expect(!channel.isActive)
    }

    @Test("losing the connection fails every waiting command")
    func connectionLost() throws {
        let (channel, handler) = try self.makeChannel()
        let receiver = RecordingReceiver()
        handler.enqueue(receiver) { RedisCommandEncoder.encode(["PING"], into: &$0) }
        channel.pipeline.fireChannelInactive()
        #expect(receiver.failures == [.connectionLost])
    }

    @Test("beyond the in-flight limit commands fail at once")
    func overload() throws {
        let (_, handler) = try self.makeChannel(maxPending: 2)
        let receivers = (0..<3).map { _ in RecordingReceiver() }
        for receiver in receivers {
            handler.enqueue(receiver) { RedisCommandEncoder.encode(["PING"], into: &$0) }
        }
        #expect(receivers[0].failures.isEmpty)
        #expect(receivers[1].failures.isEmpty)
        #expect(receivers[2].failures == [.overloaded])
    }

    @Test("reconnect backoff: immediate, then doubling, capped")
    func backoff() {
        let configuration = RedisConnectionConfiguration(
            url: RedisURL(host: "localhost"),
            initialBackoff: .milliseconds(50),
            maximumBackoff: .seconds(1)
        )
        let delays = (1...9).map { configuration.backoff(beforeAttempt: $0).nanoseconds / 1_000_000 }
        #expect(delays == [0, 50, 100, 200, 400, 800, 1000, 1000, 1000])
    }

    @Test("an idle connection sends PING after the heartbeat; a reply (PONG or a subscriber's [pong, \"\"]) keeps it")
    func heartbeatAnswered() throws {
        let (channel, _) = try self.makeChannel(timeout: .milliseconds(500), heartbeat: .seconds(2))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1900))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "not yet: traffic was seen less than a heartbeat ago")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "*1\r\n$4\r\nPING\r\n")
        try channel.writeInbound(ByteBuffer(string: "*2\r\n$4\r\npong\r\n$0\r\n\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(channel.isActive)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test("a heartbeat without a reply within the timeout resets the connection")
    func heartbeatUnanswered() throws {
        let (channel, _) = try self.makeChannel(timeout: .milliseconds(500), heartbeat: .seconds(2))
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(try channel.readOutbound(as: ByteBuffer.self) != nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(499))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive, "found dead: closed, so the connection reconnects")
    }

    @Test("a busy connection sends no heartbeat")
    func noHeartbeatWhenBusy() throws {
        let (channel, handler) = try self.makeChannel(timeout: .seconds(10), heartbeat: .seconds(2))
        let receiver = RecordingReceiver()
        for _ in 0..<8 {
            handler.enqueue(receiver) { RedisCommandEncoder.encode(["GET", "k"], into: &$0) }
            channel.embeddedEventLoop.run()
            _ = try channel.readOutbound(as: ByteBuffer.self)
            try channel.writeInbound(ByteBuffer(string: "$-1\r\n"))
            channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(receiver.replies.count == 8)
    }
}
