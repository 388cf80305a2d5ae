import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// How much of a connection's output still waits for the peer, and how much the peer has taken.
///
/// NIO's write buffer is only part of it: most unread output of a client that stopped reading sits
/// in the kernel's send queue, which NIO does not see. On Linux, `TCP_INFO` tells both the bytes
/// the kernel has not sent (`tcpi_notsent_bytes`) and the bytes the peer acknowledged
/// (`tcpi_bytes_acked`); elsewhere only NIO's buffer counts, and progress is not seen.
enum OutputProbe {
    /// The kernel's `struct tcp_info`, as raw bytes (the kernel copies what it has, zeros stay).
    private typealias TCPInfo = SIMD32<UInt64>

    /// `offsetof(struct tcp_info, …)` in linux/tcp.h, stable since Linux 4.6.
    private static let bytesAckedOffset = 120
    private static let notSentBytesOffset = 144

    /// Completes at once on the channel's event loop.
    static func sample(_ channel: any Channel) -> EventLoopFuture<OutputSample> {
        let buffered = (try? channel.syncOptions?.getOption(.bufferedWritableBytes)) ?? 0
        #if os(Linux)
        if let provider = channel as? any SocketOptionProvider {
            let info: EventLoopFuture<TCPInfo> = provider.unsafeGetSocketOption(
                level: NIOBSDSocket.OptionLevel.tcp,
                name: NIOBSDSocket.Option(rawValue: CInt(TCP_INFO))
            )
            return info.map { info in
                withUnsafeBytes(of: info) { bytes in
                    OutputSample(
                        pendingBytes: buffered + Int(bytes.load(fromByteOffset: Self.notSentBytesOffset, as: UInt32.self)),
                        deliveredBytes: bytes.load(fromByteOffset: Self.bytesAckedOffset, as: UInt64.self)
                    )
                }
            }.recover { _ in
                OutputSample(pendingBytes: buffered, deliveredBytes: 0)
            }
        }
        #endif
        return channel.eventLoop.makeSucceededFuture(OutputSample(pendingBytes: buffered, deliveredBytes: 0))
    }
}

/// What a tick learns of the connection's output (see `OutputProbe`).
struct OutputSample: Equatable {
    /// Bytes written but not yet sent to the peer: in NIO's buffer and the kernel's send queue.
    var pendingBytes: Int
    /// Bytes the peer has acknowledged since the connection opened; it grows while the peer
    /// reads, however slowly.
    var deliveredBytes: UInt64
}
