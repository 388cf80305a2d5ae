import NIOCore

/// Answers each request on a connection with the same recorded bytes, in order.
///
/// It is the least a SwiftNIO server can do per request on the path jobstatus' front takes (one
/// read, one pipeline pass, one write and flush): it finds where each request's head ends
/// (`CRLF CRLF`; the bench sends no bodies) and parses nothing else, so what the front spends
/// beyond this responder's CPU per request is what jobstatus itself costs.
final class FixedResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let response: ByteBuffer
    /// How much of `CR LF CR LF` the bytes read so far end with (0 to 3).
    private var matched = 0

    init(response: ByteBuffer) {
        self.response = response
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = self.unwrapInboundIn(data)
        var requests = 0
        bytes.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                switch (self.matched, byte) {
                case (0, 0x0D), (2, 0x0D): self.matched += 1
                case (1, 0x0A): self.matched = 2
                case (3, 0x0A):
                    requests += 1
                    self.matched = 0
                case (_, 0x0D): self.matched = 1
                default: self.matched = 0
                }
            }
        }
        guard requests > 0 else { return }
        var answers = context.channel.allocator.buffer(capacity: self.response.readableBytes * requests)
        for _ in 0..<requests {
            answers.writeImmutableBuffer(self.response)
        }
        context.writeAndFlush(self.wrapOutboundOut(answers), promise: nil)
    }
}
