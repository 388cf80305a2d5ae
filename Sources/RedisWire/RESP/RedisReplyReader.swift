public import NIOCore

/// The reply side of a Redis connection: bytes go in as they arrive from the socket, complete
/// replies come out, however the replies were split or batched across reads.
///
/// A read that holds whole replies only (the common case) is parsed where it is: its buffer is
/// kept only until its replies are handed out, so the channel's receive buffer is free for the
/// next read. Bytes of a reply still incomplete are copied into a buffer of the reader's own.
public final class RedisReplyReader {
    private static let noBytes = ByteBuffer()

    private var parser = RedisReplyParser()
    /// Bytes received and not yet handed out as replies.
    private var pending = RedisReplyReader.noBytes
    /// Whether `pending` is the reader's own storage rather than a read's buffer.
    private var ownsPending = false

    public init() {}

    /// Takes the readable bytes of `buffer`.
    public func feed(_ buffer: ByteBuffer) {
        guard self.pending.readableBytes > 0 else {
            self.pending = buffer
            self.ownsPending = false
            return
        }
        var buffer = buffer
        self.pending.writeBuffer(&buffer)
    }

    /// Calls `body` with each complete reply received so far. Returns the number of replies
    /// delivered.
    @discardableResult
    public func drainReplies(_ body: (RedisReply) -> Void) throws(RedisError) -> Int {
        var delivered = 0
        while self.pending.readableBytes > 0 {
            let parsed = self.pending.withUnsafeReadableBytes { bytes in
                Result { () throws(RedisError) in try self.parser.parse(bytes) }
            }
            guard let length = try parsed.get() else { break }
            self.pending.withUnsafeReadableBytes { bytes in
                self.parser.elements.withUnsafeBufferPointer { elements in
                    body(RedisReply(elements: elements.baseAddress!, index: 0, bytes: bytes.baseAddress))
                }
            }
            delivered += 1
            self.pending.moveReaderIndex(forwardBy: length)
            self.parser.reset()
        }
        if self.pending.readableBytes == 0 {
            self.pending = Self.noBytes
            self.ownsPending = false
        } else if !self.ownsPending {
            // The start of a reply: kept in storage of the reader's own, where the rest is appended.
            var own = ByteBufferAllocator().buffer(capacity: max(self.pending.readableBytes * 2, 4096))
            own.writeBuffer(&self.pending)
            self.pending = own
            self.ownsPending = true
        } else {
            self.pending.discardReadBytes()
        }
        return delivered
    }
}
