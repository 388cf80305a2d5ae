import NIOCore

/// Writes a whole HTTP/1.1 response — status line, headers, body — into one buffer, so each
/// response leaves in a single write without an intermediate header model.
enum HTTPResponseComposer {
    enum Connection {
        /// HTTP/1.1 keep-alive: no header needed.
        case keepAlive
        /// An HTTP/1.0 client that asked for keep-alive: it must be told it got it.
        case keepAliveHTTP10
        case close
    }

    static func compose(
        status: ResponseStatus,
        headers: ResponseHeaders,
        requestID: String,
        date: String,
        connection: Connection,
        body: ByteBuffer,
        includeBody: Bool,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 320 + (includeBody ? body.readableBytes : 0))
        buffer.writeStaticString(status.statusLine)
        buffer.writeStaticString("Content-Type: application/json; charset=utf-8\r\nContent-Length: ")
        buffer.writeString(String(body.readableBytes))
        buffer.writeStaticString("\r\nX-Request-ID: ")
        buffer.writeString(requestID)
        buffer.writeStaticString("\r\nDate: ")
        buffer.writeString(date)
        buffer.writeStaticString("\r\n")
        switch connection {
        case .keepAlive: break
        case .keepAliveHTTP10: buffer.writeStaticString("Connection: keep-alive\r\n")
        case .close: buffer.writeStaticString("Connection: close\r\n")
        }
        if let retryAfter = headers.retryAfter {
            buffer.writeStaticString("Retry-After: ")
            buffer.writeString(String(retryAfter))
            buffer.writeStaticString("\r\n")
        }
        if headers.allowGetHead {
            buffer.writeStaticString("Allow: GET, HEAD\r\n")
        }
        if let challenge = headers.wwwAuthenticate {
            buffer.writeStaticString("WWW-Authenticate: ")
            buffer.writeStaticString(challenge)
            buffer.writeStaticString("\r\n")
        }
        if let location = headers.location {
            buffer.writeStaticString("Location: ")
            buffer.writeString(location)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        if includeBody {
            buffer.writeImmutableBuffer(body)
        }
        return buffer
    }
}
