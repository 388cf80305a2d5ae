import JobStatusCore
import NIOCore
import NIOHTTP1
import RedisWire

/// Answers the requests of one HTTP connection: route, authorize, one Redis read on the
/// connection of this channel's own event loop, envelope, response.
///
/// Requests are answered strictly in order. Parts of pipelined requests that arrive while one is
/// being answered wait in a small queue; when it fills, reading from the socket pauses. The
/// handler is its own `RedisReplyReceiver` and `JobWatcher`: a poll in flight costs no
/// allocation beyond the response buffer, and the reply is turned into the envelope in place.
///
/// The concerns live in extensions: deciding what a request asks (`+Requests`), answering
/// replies (`+Replies`), long polls and event streams (`+Watching`), and framing (`+Responses`).
final class JobRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What a request is answered with, decided when its head arrives.
    enum Action {
        case error(APIError, ResponseHeaders)
        case live
        case ready
        case readJob
        case streamEvents
        case metrics
        case document
    }

    struct Request {
        var isHead: Bool
        var isHTTP10: Bool
        var connection: HTTPResponseComposer.Connection
        var meta: EnvelopeMeta
        var jobID: Substring = ""
        var clientID: String?
        var action: Action = .live
        /// The raw `If-None-Match` value.
        var ifNoneMatch: String?
        /// How long a long poll may be held (already capped); nil when it asked for no wait.
        var wait: TimeAmount?
        /// The wait granted, in seconds, for `Preference-Applied`.
        var appliedWait: Int?
        /// `Last-Event-ID` of an event stream: the version the client already has.
        var lastEventID: Int64?
        /// For the metrics and the access log: the route, the method and when the head arrived.
        var route = RouteLabel.unknown
        /// Who the per-client limits count this request against.
        var limitKey = ""
        var method: String = ""
        var startedAt = NIODeadline.uptimeNanoseconds(0)
    }

    enum Phase {
        case idle
        /// The head arrived; waiting for the end of the request.
        case receiving
        /// Waiting for the subscription that lets this request wait for changes.
        case subscribing
        /// The record read is in flight.
        case reading
        /// A long poll or event stream waits for a change (or its timer).
        case parked
        case closing
    }

    /// Why the record is being read.
    enum ReadPurpose {
        /// Answer whatever the record says.
        case answer
        /// The first read of a long poll: park if there is nothing new yet.
        case longPoll
        /// A read for an event stream.
        case stream
    }

    static let maxQueuedParts = 64

    let server: ServerContext
    let loop: LoopResources
    let timeouts: ConnectionTimeoutHandler
    var context: ChannelHandlerContext?
    var phase = Phase.idle
    var request: Request?
    var queued = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
    var draining = false
    var readHeld = false
    var quiescing = false
    var protocolError: APIError?
    /// The last `Authorization` value of this connection and what it was found to be, so a
    /// keep-alive client's token is hashed once rather than per request.
    var cachedAuthorization: (header: String, decision: AuthorizationDecision, validUntil: Double)?
    var cachedRemoteAddress: String?
    /// The client whose waiter count this connection's long poll or stream holds.
    var waitingClient: String?

    // Long polls and event streams.
    var readPurpose = ReadPurpose.answer
    /// The job key this request watches in the loop's `JobWatchRegistry`.
    var watchedKey: String?
    /// A change was announced while the read was in flight: the reply may predate it.
    var changedDuringRead = false
    /// The long poll's deadline, or the event stream's next heartbeat.
    var parkTimer: Scheduled<Void>?
    /// Whether the event stream's response head was sent, and the last version it carried.
    var streamStarted = false
    var lastStreamedVersion: Int64?

    init(server: ServerContext, loop: LoopResources, timeouts: ConnectionTimeoutHandler) {
        self.server = server
        self.loop = loop
        self.timeouts = timeouts
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        RequestMetrics.connections.increment()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stopWatching()
        self.context = nil
        RequestMetrics.connections.decrement()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.phase != .closing else { return }
        self.queued.append(self.unwrapInboundIn(data))
        self.drainQueue(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if self.queued.count >= Self.maxQueuedParts {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.phase = .closing
        self.request = nil
        self.queued.removeAll()
        self.stopWatching()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        self.protocolError = parserError == .headerOverflow ? .headersTooLarge : .malformedRequest
        if self.phase == .receiving {
            // The request being received can never complete.
            self.phase = .idle
            self.request = nil
        }
        while let last = self.queued.last, !Self.isEnd(last) {
            self.queued.removeLast()
        }
        self.drainQueue(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.quiescing = true
        switch self.phase {
        case .idle where self.queued.isEmpty:
            self.phase = .closing
            context.close(promise: nil)
        case .parked:
            // Shutting down: answer waiting requests now rather than at their deadline.
            self.wakeUp()
        default:
            break
        }
    }

    // MARK: - The queue

    /// Handles queued parts for as long as the current phase accepts them. Iterative rather than
    /// recursive, so a long pipeline answered synchronously cannot grow the stack.
    func drainQueue(context: ChannelHandlerContext) {
        guard !self.draining else { return }
        self.draining = true
        defer { self.draining = false }
        loop: while self.phase != .closing, let part = self.queued.first {
            switch (self.phase, part) {
            case (.idle, .head(let head)):
                self.queued.removeFirst()
                self.startRequest(head)
            case (.receiving, .body):
                self.queued.removeFirst()
            case (.receiving, .end):
                self.queued.removeFirst()
                self.timeouts.requestReceived()
                self.execute(context: context)
            case (.idle, .body), (.idle, .end):
                self.queued.removeFirst()
            default:
                break loop
            }
        }
        if self.phase == .idle && self.queued.isEmpty {
            if let protocolError = self.protocolError {
                self.protocolError = nil
                self.respondToProtocolError(protocolError, context: context)
            } else if self.quiescing {
                self.phase = .closing
                context.close(promise: nil)
            }
        }
        if self.readHeld && self.queued.count < Self.maxQueuedParts && self.phase != .closing {
            self.readHeld = false
            context.read()
        }
    }

    private static func isEnd(_ part: HTTPServerRequestPart) -> Bool {
        if case .end = part { return true }
        return false
    }
}
