import CHiredis
public import NIOCore

/// hiredis' incremental RESP parser: bytes go in as they arrive from the socket, complete replies
/// come out, however the replies were split or batched across reads.
public final class RedisReplyReader {
    private let reader: UnsafeMutablePointer<redisReader>

    public init() {
        guard let reader = redisReaderCreate() else {
            fatalError("redisReaderCreate failed to allocate")
        }
        self.reader = reader
    }

    deinit {
        redisReaderFree(self.reader)
    }

    /// Hands the readable bytes of `buffer` to the parser (hiredis copies them).
    public func feed(_ buffer: ByteBuffer) throws(RedisError) {
        let status = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else { return REDIS_OK }
            return redisReaderFeed(self.reader, base.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard status == REDIS_OK else { throw self.protocolError() }
    }

    /// Calls `body` with each complete reply parsed so far, freeing every reply after its call.
    /// Returns the number of replies delivered.
    @discardableResult
    public func drainReplies(_ body: (RedisReply) -> Void) throws(RedisError) -> Int {
        var delivered = 0
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(self.reader, &raw) == REDIS_OK else {
                throw self.protocolError()
            }
            guard let raw else { return delivered }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            defer { freeReplyObject(raw) }
            delivered += 1
            body(RedisReply(UnsafePointer(reply)))
        }
    }

    private func protocolError() -> RedisError {
        let message = withUnsafeBytes(of: self.reader.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return .protocolViolation(message.isEmpty ? "unparsable reply" : message)
    }
}
