import NIOCore

/// Closes connections that hold a slot without making progress.
///
/// Sits first in the pipeline, where it sees raw bytes: the first byte of a request starts the
/// header clock (`http.header_timeout`: the whole request must arrive within it, which defeats
/// slowloris-style clients), and a connection with no request in progress is closed after
/// `http.idle_timeout`. A request being answered is bounded by the Redis timeout instead.
/// One coarse timer per connection does the checking, so the hot path only stores a state.
final class ConnectionTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Phase {
        case idle(since: NIODeadline)
        case receiving(since: NIODeadline)
        case busy
    }

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let checkInterval: TimeAmount
    private var phase: Phase = .busy
    private var check: Scheduled<Void>?
    private weak var context: ChannelHandlerContext?

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        let shortest = min(headerTimeout, idleTimeout)
        self.checkInterval = max(.milliseconds(50), min(.seconds(1), .nanoseconds(shortest.nanoseconds / 4)))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive {
            self.start(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.check?.cancel()
        self.check = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .idle = self.phase {
            self.phase = .receiving(since: context.eventLoop.now)
        }
        context.fireChannelRead(data)
    }

    /// A request head is being handled; if no byte started the clock (it was already buffered),
    /// start it now.
    func requestStarted() {
        if case .idle = self.phase {
            self.phase = .receiving(since: self.now)
        }
    }

    /// The whole request arrived; the header clock stops.
    func requestReceived() {
        self.phase = .busy
    }

    /// The response went out and the connection stays open: the idle clock starts.
    func responseSent() {
        self.phase = .idle(since: self.now)
    }

    private var now: NIODeadline {
        self.context?.eventLoop.now ?? .now()
    }

    private func start(context: ChannelHandlerContext) {
        self.phase = .idle(since: context.eventLoop.now)
        self.scheduleCheck(context: context)
    }

    private func scheduleCheck(context: ChannelHandlerContext) {
        self.check = context.eventLoop.assumeIsolated().scheduleTask(in: self.checkInterval) {
            self.runCheck()
        }
    }

    private func runCheck() {
        guard let context = self.context, context.channel.isActive else { return }
        let now = context.eventLoop.now
        switch self.phase {
        case .idle(let since) where now - since >= self.idleTimeout,
            .receiving(let since) where now - since >= self.headerTimeout:
            context.close(promise: nil)
        default:
            self.scheduleCheck(context: context)
        }
    }
}
