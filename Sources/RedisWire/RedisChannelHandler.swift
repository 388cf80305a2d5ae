import NIOCore

/// The wire side of one Redis connection: pipelines every queued command, matches replies to
/// commands in order, and enforces the per-command timeout.
///
/// Commands are appended to one outbound buffer and flushed once per event-loop tick, so the
/// commands of all HTTP requests that arrived in the same tick leave in a single write. Replies
/// are parsed by hiredis and handed to each command's receiver in place.
///
/// A command that outlives its deadline means the server stalled: replies are strictly ordered,
/// so the only safe recovery is to fail everything queued and close the connection (the owning
/// `RedisConnection` reconnects). One timer at a time watches the oldest command.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct PendingCommand {
        let receiver: any RedisReplyReceiver
        let deadline: NIODeadline
    }

    private static let outboundCapacity = 16 * 1024

    private let reader = RedisReplyReader()
    private let commandTimeout: TimeAmount
    private let maxPendingCommands: Int
    private var pending = CircularBuffer<PendingCommand>(initialCapacity: 256)
    private var outbound = ByteBuffer()
    private var flushScheduled = false
    private var timeoutCheck: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Where `message` pushes go on a subscriber connection; nil on a command connection.
    var pushReceiver: (any RedisPushReceiver)?

    init(commandTimeout: TimeAmount, maxPendingCommands: Int) {
        self.commandTimeout = commandTimeout
        self.maxPendingCommands = maxPendingCommands
    }

    /// The number of commands sent and not yet answered.
    var pendingCount: Int { self.pending.count }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.outbound = context.channel.allocator.buffer(capacity: Self.outboundCapacity)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(.connectionLost)
        self.context = nil
    }

    /// Queues one command: `encode` appends its RESP bytes, `receiver` gets the reply.
    func enqueue(_ receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        guard let context, context.channel.isActive else {
            receiver.fail(.connectionLost)
            return
        }
        guard self.pending.count < self.maxPendingCommands else {
            receiver.fail(.overloaded)
            return
        }
        encode(&self.outbound)
        let deadline = context.eventLoop.now + self.commandTimeout
        self.pending.append(PendingCommand(receiver: receiver, deadline: deadline))
        if self.timeoutCheck == nil {
            self.armTimeoutCheck(at: deadline, context: context)
        }
        if !self.flushScheduled {
            self.flushScheduled = true
            context.eventLoop.assumeIsolated().execute { self.flushOutbound() }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        var unexpectedReply = false
        do {
            try self.reader.feed(bytes)
            let now = context.eventLoop.now
            try self.reader.drainReplies { reply in
                if let pushReceiver = self.pushReceiver, reply.kind == .array, reply.count == 3, reply[0].bytesEqual("message") {
                    pushReceiver.receiveMessage(channel: reply[1], payload: reply[2])
                    return
                }
                guard let command = self.pending.popFirst() else {
                    unexpectedReply = true
                    return
                }
                RedisMetrics.commandDuration.recordNanoseconds((now - command.deadline + self.commandTimeout).nanoseconds)
                command.receiver.receive(reply)
            }
        } catch {
            self.reset(error, context: context)
            return
        }
        if unexpectedReply {
            self.reset(.protocolViolation("a reply arrived that no command was waiting for"), context: context)
        } else if self.pending.isEmpty {
            self.timeoutCheck?.cancel()
            self.timeoutCheck = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(.connectionLost)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.reset(.connectionLost, context: context)
    }

    private func flushOutbound() {
        self.flushScheduled = false
        guard let context, self.outbound.readableBytes > 0 else { return }
        context.writeAndFlush(self.wrapOutboundOut(self.outbound), promise: nil)
        // Once the socket took the bytes the storage is ours alone again and is reused as is.
        self.outbound.clear()
        if self.outbound.capacity > 64 * Self.outboundCapacity {
            self.outbound = context.channel.allocator.buffer(capacity: Self.outboundCapacity)
        }
    }

    private func armTimeoutCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        self.timeoutCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.checkTimeouts()
        }
    }

    private func checkTimeouts() {
        self.timeoutCheck = nil
        guard let context, let oldest = self.pending.first else { return }
        if oldest.deadline <= context.eventLoop.now {
            self.reset(.timeout, context: context)
        } else {
            self.armTimeoutCheck(at: oldest.deadline, context: context)
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
        self.timeoutCheck?.cancel()
        self.timeoutCheck = nil
        guard !self.pending.isEmpty else { return }
        let failed = self.pending
        self.pending.removeAll(keepingCapacity: true)
        for command in failed {
            command.receiver.fail(error)
        }
    }
}
