import NIOCore

/// Tells the connection that request bytes arrived, before the HTTP decoder turns them into
/// parts: the first byte of a request starts its header clock (`http.header_timeout`: the whole
/// request must arrive within it, which defeats slowloris-style clients), however slowly the
/// rest trickles in.
final class InboundBytesObserver: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connection: JobRequestHandler

    init(connection: JobRequestHandler) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.connection.bytesArrived()
        context.fireChannelRead(data)
    }
}
