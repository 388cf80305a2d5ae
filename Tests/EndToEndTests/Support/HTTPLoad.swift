import NIOCore
import NIOPosix

/// Thousands of one-request connections on NIO: each sends one request and reads one answer
/// (a `Content-Length` body, or a chunked stream to its last chunk), so waiting costs neither a
/// thread nor a polling task — which is what lets a test hold a thousand long polls at once.
enum HTTPLoad {
    struct Answer: Sendable {
        /// The status; 0 when the connection ended without a whole answer.
        let status: Int
        /// From the request's being written to its answer's end: the server's time, not the
        /// time a loaded machine took to set up the connection.
        let elapsed: Duration
        /// Whether the answer said `Connection: close`.
        let closes: Bool
        /// Whether a connection could be made at all (else no request was sent).
        let connected: Bool
    }

    /// Sends `request` on a new connection and reads its answer. A connection that cannot be made
    /// (the machine is loaded and a SYN is dropped) is tried again, up to three times in all.
    static func send(_ request: String, port: Int) async -> Answer {
        let started = ContinuousClock.now
        for _ in 0..<3 {
            let channel: any Channel
            do {
                channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(5))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(OneAnswerHandler(request: request, answered: channel.eventLoop.makePromise()))
                        }
                    }
                    .connect(host: "127.0.0.1", port: port)
                    .get()
            } catch {
                continue
            }
            do {
                let answer = try await channel.pipeline.handler(type: OneAnswerHandler.self).flatMap { $0.answered.futureResult }.get()
                return Answer(status: answer.status, elapsed: ContinuousClock.now - answer.sent, closes: answer.closes, connected: true)
            } catch {
                return Answer(status: 0, elapsed: ContinuousClock.now - started, closes: true, connected: true)
            }
        }
        return Answer(status: 0, elapsed: ContinuousClock.now - started, closes: true, connected: false)
    }
}

private final class OneAnswerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    struct Parsed: Sendable {
        let status: Int
        let closes: Bool
        var sent = ContinuousClock.now
    }

    let request: String
    let answered: EventLoopPromise<Parsed>
    nonisolated(unsafe) private var received: [UInt8] = []
    nonisolated(unsafe) private var done = false
    nonisolated(unsafe) private var sent = ContinuousClock.now

    init(request: String, answered: EventLoopPromise<Parsed>) {
        self.request = request
        self.answered = answered
    }

    func channelActive(context: ChannelHandlerContext) {
        self.sent = ContinuousClock.now
        context.writeAndFlush(NIOAny(ByteBuffer(string: self.request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received += self.unwrapInboundIn(data).readableBytesView
        if let parsed = self.parse() {
            self.finish(parsed)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish(Parsed(status: 0, closes: true))
    }

    /// A connection that never became active (refused, timed out) ends here.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.finish(Parsed(status: 0, closes: true))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func finish(_ parsed: Parsed) {
        guard !self.done else { return }
        self.done = true
        var parsed = parsed
        parsed.sent = self.sent
        self.answered.succeed(parsed)
    }

    /// The status once the whole answer is in.
    private func parse() -> Parsed? {
        guard let headEnd = self.received.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: self.received[..<headEnd.lowerBound], as: UTF8.self).lowercased()
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        let closes = head.contains("\r\nconnection: close")
        let body = self.received[headEnd.upperBound...]
        if head.contains("transfer-encoding: chunked") {
            return body.firstRange(of: Array("0\r\n\r\n".utf8)).map { _ in Parsed(status: status, closes: closes) }
        }
        let lengthLine = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
        let length = lengthLine.flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
        return body.count >= length ? Parsed(status: status, closes: closes) : nil
    }
}
