import JobStatusCore
import NIOCore

/// Writes a whole HTTP/1.1 response — status line, headers, body — into one buffer, so each
/// response leaves in a single write without an intermediate header model.
enum HTTPResponseComposer {
    enum Connection: Equatable {
        /// HTTP/1.1 keep-alive: no header needed.
        case keepAlive
        /// An HTTP/1.0 client that asked for keep-alive: it must be told it got it.
        case keepAliveHTTP10
        case close
    }

    enum ContentType {
        case json
        /// The Prometheus text exposition format.
        case prometheus
        /// The OpenAPI document (RFC 9512).
        case yaml

        var headerValue: StaticString {
            switch self {
            case .json: "application/json; charset=utf-8"
            case .prometheus: "text/plain; version=0.0.4; charset=utf-8"
            case .yaml: "application/yaml"
            }
        }
    }

    static func compose(
        status: ResponseStatus,
        headers: ResponseHeaders,
        contentType: ContentType = .json,
        requestID: String,
        date: String,
        connection: Connection,
        body: ByteBuffer,
        includeBody: Bool,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 384 + (includeBody ? body.readableBytes : 0))
        buffer.writeStaticString(status.statusLine)
        // A 304 has no content, so no content headers (RFC 9110 §15.4.5).
        if status != .notModified {
            buffer.writeStaticString("Content-Type: ")
            buffer.writeStaticString(contentType.headerValue)
            buffer.writeStaticString("\r\nContent-Length: ")
            buffer.writeString(String(body.readableBytes))
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("X-Request-ID: ")
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
        Self.writeCaching(headers, into: &buffer)
        buffer.writeStaticString("\r\n")
        if includeBody && status != .notModified {
            buffer.writeImmutableBuffer(body)
        }
        return buffer
    }

    /// The head of a Server-Sent Events response: chunked, so the connection survives the
    /// stream (HTTP/1.0 clients get the stream until the connection closes instead).
    static func composeEventStreamHead(
        requestID: String,
        date: String,
        chunked: Bool,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeStaticString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nX-Request-ID: ")
        buffer.writeString(requestID)
        buffer.writeStaticString("\r\nDate: ")
        buffer.writeString(date)
        buffer.writeStaticString(chunked ? "\r\nTransfer-Encoding: chunked\r\n\r\n" : "\r\nConnection: close\r\n\r\n")
        return buffer
    }

    private static func writeCaching(_ headers: ResponseHeaders, into buffer: inout ByteBuffer) {
        if let tag = headers.entityTag {
            buffer.writeStaticString("ETag: ")
            switch tag {
            case .job(let tag): tag.write(into: &buffer)
            case .list(let tag): tag.write(into: &buffer)
            }
            buffer.writeStaticString("\r\n")
        }
        switch headers.cacheControl {
        case .noCache:
            buffer.writeStaticString("Cache-Control: no-cache\r\n")
        case .noStore:
            buffer.writeStaticString("Cache-Control: no-store\r\n")
        case .privateMaxAge(let seconds):
            buffer.writeStaticString("Cache-Control: private, max-age=")
            buffer.writeString(String(seconds))
            buffer.writeStaticString("\r\n")
        case nil:
            break
        }
        if let wait = headers.appliedWait {
            buffer.writeStaticString("Preference-Applied: wait=")
            buffer.writeString(String(wait))
            buffer.writeStaticString("\r\n")
        }
    }
}
