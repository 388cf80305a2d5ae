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

    /// Replaces what `buffer` holds with the response, in its storage when nothing else holds
    /// that (a loop's `responseScratch` whose last answer the socket took).
    static func compose(
        status: ResponseStatus,
        headers: ResponseHeaders,
        contentType: ContentType = .json,
        requestID: String,
        date: String,
        connection: Connection,
        body: ByteBuffer,
        includeBody: Bool,
        into buffer: inout ByteBuffer
    ) {
        let bodyCount = includeBody && status != .notModified ? body.readableBytes : 0
        // Everything but the values below is fixed text, well under the slack.
        let maximumHead = 512 + requestID.utf8.count + date.utf8.count + (headers.location?.count ?? 0)
            + (headers.wwwAuthenticate?.utf8CodeUnitCount ?? 0) + EntityTag.maximumCount
            + 4 * BoundedOutput.maximumDecimalCount
        // Storage the channel still holds (an answer not yet taken) is left to it: a new one.
        buffer.clear(minimumCapacity: maximumHead + bodyCount)
        buffer.writeBounded(maximumBytes: maximumHead) { output in
            output.write(status.statusLine)
            // A 304 has no content, so no content headers (RFC 9110 §15.4.5).
            if status != .notModified {
                output.write("Content-Type: ")
                output.write(contentType.headerValue)
                output.write("\r\nContent-Length: ")
                output.writeDecimal(body.readableBytes)
                output.write("\r\n")
            }
            output.write("X-Request-ID: ")
            output.write(requestID)
            output.write("\r\nDate: ")
            output.write(date)
            output.write("\r\n")
            switch connection {
            case .keepAlive: break
            case .keepAliveHTTP10: output.write("Connection: keep-alive\r\n")
            case .close: output.write("Connection: close\r\n")
            }
            if let retryAfter = headers.retryAfter {
                output.write("Retry-After: ")
                output.writeDecimal(retryAfter)
                output.write("\r\n")
            }
            if headers.allowGetHead {
                output.write("Allow: GET, HEAD\r\n")
            }
            if let challenge = headers.wwwAuthenticate {
                output.write("WWW-Authenticate: ")
                output.write(challenge)
                output.write("\r\n")
            }
            if let location = headers.location {
                output.write("Location: ")
                output.write(location)
                output.write("\r\n")
            }
            Self.writeCaching(headers, into: &output)
            output.write("\r\n")
        }
        if bodyCount > 0 {
            buffer.writeImmutableBuffer(body)
        }
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

    private static func writeCaching(_ headers: ResponseHeaders, into output: inout BoundedOutput) {
        if let tag = headers.entityTag {
            output.write("ETag: ")
            switch tag {
            case .job(let tag): tag.write(into: &output)
            case .list(let tag): tag.write(into: &output)
            }
            output.write("\r\n")
        }
        switch headers.cacheControl {
        case .noCache:
            output.write("Cache-Control: no-cache\r\n")
        case .noStore:
            output.write("Cache-Control: no-store\r\n")
        case .privateMaxAge(let seconds):
            output.write("Cache-Control: private, max-age=")
            output.writeDecimal(seconds)
            output.write("\r\n")
        case nil:
            break
        }
        if let wait = headers.appliedWait {
            output.write("Preference-Applied: wait=")
            output.writeDecimal(wait)
            output.write("\r\n")
        }
    }
}
