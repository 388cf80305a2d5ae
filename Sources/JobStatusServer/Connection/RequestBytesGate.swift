import NIOCore

/// Where request bytes enter the connection: it starts the header clock, parses the requests
/// (`HTTPRequestParser`) and hands their parts to the connection, only as many as it takes.
///
/// One socket read cycle can bring hundreds of kilobytes — thousands of pipelined requests, each
/// costing far more once parsed than as bytes. While the connection takes no more input (its
/// queue is full, or its peer does not read its answers) the gate keeps the bytes as they came
/// and stops reading from the socket; it parses them a slice at a time as the connection asks
/// (`release`). The first byte of a request starts its header clock (`http.header_timeout`), so
/// a head that trickles in is bounded however slowly it comes, as the parser bounds its size
/// (`http.max_header_size`). Once the connection's last answer is out, what still arrives is
/// dropped unread (the lingering close).
///
/// The parts go to the connection directly, not through the pipeline: the gate is the last
/// inbound handler. The connection asks it before letting a socket read through (`deferRead`).
final class RequestBytesGate: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// The most bytes parsed at once while the connection is behind.
    static let sliceSize = 4096

    /// Unowned: the connection holds the gate, and both leave the pipeline together, after the
    /// last read.
    private unowned let connection: JobRequestHandler
    private var context: ChannelHandlerContext?
    private var parser: HTTPRequestParser
    private var held: ByteBuffer?
    /// A socket read was asked for while bytes were held: forwarded once they are handed on.
    private var readOwed = false
    private var releasing = false

    init(connection: JobRequestHandler, maxHeadSize: Int) {
        self.connection = connection
        self.parser = HTTPRequestParser(maxHeadSize: maxHeadSize)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.held = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        switch self.connection.inputArrived(bytes.readableBytes) {
        case .drop, .close:
            return
        case .parse where self.held == nil && bytes.readableBytes <= Self.sliceSize:
            self.parse(bytes)
            return
        case .parse, .hold:
            break
        }
        if self.held == nil {
            self.held = bytes
        } else {
            var bytes = bytes
            self.held!.writeBuffer(&bytes)
        }
        self.release()
    }

    /// Whether bytes wait to be handed on.
    var isHolding: Bool { self.held != nil }

    /// Parses `bytes` and hands on what they complete, telling the connection first (a request
    /// has begun: its header clock). The parser is not accessed while the connection handles a
    /// part, so whatever the connection does then cannot overlap a parse. One clock reading serves
    /// the whole slice, as it serves every other event of the connection.
    private func parse(_ bytes: ByteBuffer) {
        let now = self.connection.now
        self.connection.willParse(now: now)
        self.parser.append(bytes)
        while let event = self.parser.next() {
            self.connection.received(event, now: now)
        }
    }

    /// The connection answered its last request: what was held will never be parsed.
    func dropHeld() {
        self.held = nil
        self.readOwed = false
    }

    /// Whether a socket read must wait for the held bytes to be handed on; if so, it is made
    /// once they are.
    func deferRead() -> Bool {
        guard self.held != nil else { return false }
        self.readOwed = true
        return true
    }

    /// Parses held bytes, a slice at a time, for as long as the connection takes
    /// input; then the read that waited for them, if one did.
    func release() {
        guard !self.releasing, let context = self.context else { return }
        self.releasing = true
        defer { self.releasing = false }
        while var held = self.held, self.connection.acceptsInput {
            let slice = held.readSlice(length: min(Self.sliceSize, held.readableBytes))!
            self.held = held.readableBytes > 0 ? held : nil
            self.parse(slice)
        }
        if self.held == nil && self.readOwed {
            self.readOwed = false
            context.read()
        }
    }
}

/// What to do with bytes that just arrived from the socket.
enum InputVerdict: Equatable {
    /// Parse them now.
    case parse
    /// Keep them until the connection takes input again (`acceptsInput`).
    case hold
    /// Drop them unread: the connection is lingering.
    case drop
    /// Drop them and close: a lingering peer sent more than `lingerBytes`.
    case close
}
