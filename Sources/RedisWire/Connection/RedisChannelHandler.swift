import NIOCore
import NIOSSL
import NIOTLS

/// The wire side of one Redis connection: pipelines every queued command, matches replies to
/// commands in order, and enforces the per-command timeout.
///
/// Commands are appended to one outbound buffer and flushed once per event-loop tick, so the
/// commands of all HTTP requests that arrived in the same tick leave in a single write. Replies
/// are parsed in place (`RedisReplyReader`) and handed to each command's receiver.
///
/// A command that outlives its deadline means the server stalled: replies are strictly ordered,
/// so the only safe recovery is to fail everything queued and close the connection (the owning
/// `RedisConnection` reconnects). One timer at a time watches the oldest command.
///
/// An idle connection proves nothing: a NAT or a load balancer may have dropped the flow without
/// a FIN, and the subscriber connection is idle by nature. After `heartbeat` without traffic the
/// handler sends a `PING`; its reply (`PONG`, or `["pong", ""]` on a subscriber connection) is all
/// it needs, and its absence within the command timeout resets the connection like any other
/// stalled command.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct PendingCommand {
        let receiver: any RedisReplyReceiver
        let sent: NIODeadline
        let deadline: NIODeadline
    }

    private static let outboundCapacity = 16 * 1024

    private let reader = RedisReplyReader()
    private let commandTimeout: TimeAmount
    private let maxPendingCommands: Int
    /// How long without traffic before a `PING`; nil: never.
    private let heartbeat: TimeAmount?
    private var heartbeatCheck: Scheduled<Void>?
    /// Reads and flushes so far, and how many there were at the last heartbeat check: traffic
    /// is counted, not timed, so the hot path reads no clock for it.
    private var traffic: UInt64 = 0
    private var trafficAtLastCheck: UInt64 = 0
    private var idleChecks = 0
    private let heartbeatReceiver = HeartbeatReceiver()
    private var pending = CircularBuffer<PendingCommand>(initialCapacity: 256)
    private var outbound = ByteBuffer()
    private var flushScheduled = false
    /// The armed check of the oldest command's deadline, and when it fires (possibly for a
    /// command answered since: it then just ends).
    private var timeoutCheck: (task: Scheduled<Void>, deadline: NIODeadline)?
    private var context: ChannelHandlerContext?
    /// Where `message` pushes go on a subscriber connection; nil on a command connection.
    var pushReceiver: (any RedisPushReceiver)?
    /// Called on a `READONLY` error reply: with Sentinel, the master was demoted under the connection.
    var onReadOnlyReply: (() -> Void)?
    /// What the pipeline saw, for the login to say why it failed.
    private(set) var evidence = PipelineEvidence()

    init(commandTimeout: TimeAmount, maxPendingCommands: Int, heartbeat: TimeAmount? = nil) {
        self.commandTimeout = commandTimeout
        self.maxPendingCommands = maxPendingCommands
        self.heartbeat = heartbeat.flatMap { $0 > .zero ? $0 : nil }
    }

    /// The number of commands sent and not yet answered.
    var pendingCount: Int { self.pending.count }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.outbound = context.channel.allocator.buffer(capacity: Self.outboundCapacity)
        self.scheduleHeartbeatCheck(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.heartbeatCheck?.cancel()
        self.heartbeatCheck = nil
        self.failAll(.connectionLost)
        self.context = nil
    }

    /// Queues one command: `encode` appends its RESP bytes, `receiver` gets the reply. `timeout`
    /// shortens the command timeout for this command (a replica read leaves time for its retry);
    /// only the oldest command is watched, so commands on one connection should share one.
    func enqueue(_ receiver: any RedisReplyReceiver, timeout: TimeAmount? = nil, encode: (inout ByteBuffer) -> Void) {
        guard let context, context.channel.isActive else {
            receiver.fail(.connectionLost)
            return
        }
        guard self.pending.count < self.maxPendingCommands else {
            receiver.fail(.overloaded)
            return
        }
        encode(&self.outbound)
        let now = context.eventLoop.now
        let deadline = now + min(timeout ?? self.commandTimeout, self.commandTimeout)
        self.pending.append(PendingCommand(receiver: receiver, sent: now, deadline: deadline))
        if let armed = self.timeoutCheck, armed.deadline <= deadline {
            // The armed check fires first and re-arms for what is pending then.
        } else {
            // None, or a later one (a replica read's shorter timeout after a full one).
            self.timeoutCheck?.task.cancel()
            self.armTimeoutCheck(at: deadline, context: context)
        }
        if !self.flushScheduled {
            self.flushScheduled = true
            context.eventLoop.assumeIsolated().execute { self.flushOutbound() }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            self.evidence.tlsHandshakeCompleted = true
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.traffic &+= 1
        let bytes = self.unwrapInboundIn(data)
        var unexpectedReply = false
        do {
            self.reader.feed(bytes)
            let now = context.eventLoop.now
            try self.reader.drainReplies { reply in
                if let pushReceiver = self.pushReceiver, let event = PubSubEvent(reply) {
                    switch event {
                    case .message:
                        pushReceiver.receive(event)
                        return
                    case .unsubscribed(_, _, sharded: true):
                        // Redis pushes `sunsubscribe` when a channel's slot moves away: it is a
                        // reply only when the command waiting first asked for it.
                        guard (self.pending.first?.receiver as? SubscriptionReply)?.answers(event) == true else {
                            pushReceiver.receive(event)
                            return
                        }
                    case .subscribed, .unsubscribed, .pong:
                        // The reply to the (UN)SUBSCRIBE or PING waiting first.
                        break
                    }
                }
                guard let command = self.pending.popFirst() else {
                    unexpectedReply = true
                    return
                }
                RedisMetrics.commandDuration.recordNanoseconds((now - command.sent).nanoseconds)
                if let onReadOnlyReply = self.onReadOnlyReply, reply.errorCode == .readOnly {
                    onReadOnlyReply()
                }
                command.receiver.receive(reply)
            }
        } catch {
            self.reset(error, context: context)
            return
        }
        if unexpectedReply {
            self.reset(.protocolViolation("a reply arrived that no command was waiting for"), context: context)
        }
        // The timeout check stays armed when nothing is pending: cancelling a scheduled task costs
        // a scan of the loop's timers (thousands with parked long polls) on every burst of
        // replies, while the check that fires with nothing pending just ends.

    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(.connectionLost)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.evidence.firstError == nil {
            self.evidence.firstError = error
            // Read now: the TLS handler drops its connection state once it is removed.
            self.evidence.peerCertificate = (try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self))?.peerCertificate
        }
        self.reset(.connectionLost, context: context)
    }

    private func flushOutbound() {
        self.flushScheduled = false
        guard let context, self.outbound.readableBytes > 0 else { return }
        self.traffic &+= 1
        context.writeAndFlush(self.wrapOutboundOut(self.outbound), promise: nil)
        // Once the socket took the bytes the storage is ours alone again and is reused as is.
        self.outbound.clear()
        if self.outbound.capacity > 64 * Self.outboundCapacity {
            self.outbound = context.channel.allocator.buffer(capacity: Self.outboundCapacity)
        }
    }

    private func armTimeoutCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.checkTimeouts()
        }
        self.timeoutCheck = (task, deadline)
    }

    private func checkTimeouts() {
        self.timeoutCheck = nil
        guard let context, let oldest = self.pending.first else { return }
        if oldest.deadline <= context.eventLoop.now {
            if oldest.receiver === self.heartbeatReceiver {
                RedisMetrics.heartbeatFailures.increment()
            }
            self.reset(.timeout, context: context)
        } else {
            self.armTimeoutCheck(at: oldest.deadline, context: context)
        }
    }

    /// Checks for traffic every half heartbeat; two checks in a row without any, and nothing in
    /// flight (a command in flight has its own deadline), send a `PING`.
    private func scheduleHeartbeatCheck(context: ChannelHandlerContext) {
        guard let heartbeat = self.heartbeat else { return }
        self.heartbeatCheck = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(heartbeat.nanoseconds / 2)) {
            guard let context = self.context else { return }
            if self.traffic == self.trafficAtLastCheck && self.pending.isEmpty {
                self.idleChecks += 1
                if self.idleChecks >= 2 {
                    self.idleChecks = 0
                    self.enqueue(self.heartbeatReceiver) { buffer in
                        RedisCommandEncoder.encode(["PING"], into: &buffer)
                    }
                }
            } else {
                self.idleChecks = 0
            }
            self.trafficAtLastCheck = self.traffic
            self.scheduleHeartbeatCheck(context: context)
        }
    }

    /// Fails every waiting command and closes the connection: after a timeout or a protocol
    /// error the reply stream can no longer be matched to commands.
    private func reset(_ error: RedisError, context: ChannelHandlerContext) {
        if error != .connectionLost {
            // A lost connection is counted once, by the connection.
            RedisMetrics.count(error)
        }
        self.failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        self.timeoutCheck?.task.cancel()
        self.timeoutCheck = nil
        guard !self.pending.isEmpty else { return }
        let failed = self.pending
        self.pending.removeAll(keepingCapacity: true)
        for command in failed {
            command.receiver.fail(error)
        }
    }
}

/// The receiver of heartbeat `PING`s: any reply proves the connection alive.
private final class HeartbeatReceiver: RedisReplyReceiver {
    func receive(_ reply: RedisReply) {}
    func fail(_ error: RedisError) {}
}
