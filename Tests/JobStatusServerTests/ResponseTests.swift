import JobStatusCore
import NIOCore
import Testing

@testable import JobStatusServer

@Suite("Response framing")
struct ResponseTests {
    @Test("status line, fixed headers, optional headers, body")
    func framing() {
        let body = ByteBuffer(string: #"{"a":1}"#)
        let location: StaticString = "/x"
        var response = ByteBuffer()
        HTTPResponseComposer.compose(
            status: .serviceUnavailable,
            headers: ResponseHeaders(
                retryAfter: 1, allowGetHead: true, wwwAuthenticate: "Bearer",
                location: UnsafeRawBufferPointer(start: location.utf8Start, count: location.utf8CodeUnitCount)
            ),
            requestID: "rid",
            date: "Sat, 28 Nov 2026 08:27:15 GMT",
            connection: .keepAliveHTTP10,
            body: body,
            includeBody: true,
            into: &response
        )
        #expect(
            String(buffer: response) == "HTTP/1.1 503 Service Unavailable\r\n"
                + "Content-Type: application/json; charset=utf-8\r\nContent-Length: 7\r\nX-Request-ID: rid\r\n"
                + "Date: Sat, 28 Nov 2026 08:27:15 GMT\r\nConnection: keep-alive\r\nRetry-After: 1\r\n"
                + "Allow: GET, HEAD\r\nWWW-Authenticate: Bearer\r\nLocation: /x\r\n\r\n{\"a\":1}"
        )
    }

    @Test("every header at its widest fits the head's bound (a write past it would trap)")
    func widestHead() {
        let requestID = String(repeating: "r", count: 200)
        let location = String(repeating: "/l", count: 1000)
        var headers = ResponseHeaders(retryAfter: Int.max, allowGetHead: true, wwwAuthenticate: "Bearer")
        headers.cacheControl = .privateMaxAge(Int.min)
        headers.appliedWait = Int.max
        let digits = Array(repeating: UInt8(ascii: "9"), count: 20)
        // The tag and the location borrow their bytes, as a record's do.
        let locationBytes = Array(location.utf8)
        let response = digits.withUnsafeBytes { digits in locationBytes.withUnsafeBytes { locationBytes in
            headers.location = locationBytes
            headers.entityTag = EntityTag(version: digits, createdAt: digits).map { .job($0) }
            var response = ByteBuffer()
            HTTPResponseComposer.compose(
                status: .serviceUnavailable,
                headers: headers,
                requestID: requestID,
                date: "Sat, 28 Nov 2026 08:27:15 GMT",
                connection: .keepAliveHTTP10,
                body: ByteBuffer(string: "{}"),
                includeBody: true,
                into: &response
            )
            return response
        } }
        let text = String(buffer: response)
        #expect(text.contains(#"ETag: W/"\#(String(repeating: "9", count: 20)).\#(String(repeating: "9", count: 20))""#))
        #expect(text.contains("X-Request-ID: \(requestID)\r\n") && text.contains("Location: \(location)\r\n"))
        #expect(text.contains("Cache-Control: private, max-age=\(Int.min)\r\n") && text.hasSuffix("\r\n\r\n{}"))
    }

    @Test("HEAD: the same headers, Content-Length included, and no body")
    func head() {
        var response = ByteBuffer()
        HTTPResponseComposer.compose(
            status: .ok,
            headers: ResponseHeaders(),
            requestID: "rid",
            date: "d",
            connection: .close,
            body: ByteBuffer(string: "12345"),
            includeBody: false,
            into: &response
        )
        #expect(
            String(buffer: response)
                == "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 5\r\nX-Request-ID: rid\r\nDate: d\r\nConnection: close\r\n\r\n"
        )
    }

    @Test("generated request ids are short, distinct and acceptable as X-Request-ID")
    func requestIDs() {
        let generator = RequestIDGenerator()
        let ids = (0..<10_000).map { _ in generator.next() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count <= 15 && RequestIDGenerator.isAcceptable($0) })
    }

    @Test("client request ids: 1–200 bytes of visible ASCII, as the eHealth gateway sends them")
    func clientRequestIDs() {
        #expect(RequestIDGenerator.isAcceptable("req-adasdoijasdojsda"))
        #expect(RequestIDGenerator.isAcceptable("a.b_c-D9"))
        #expect(RequestIDGenerator.isAcceptable("806e0f81-ac97-470e-988f-6391e9abf642#28157"))
        #expect(RequestIDGenerator.isAcceptable(#"a"b\c{}<>"#))
        #expect(RequestIDGenerator.isAcceptable(String(repeating: "a", count: 200)))
        #expect(!RequestIDGenerator.isAcceptable(""))
        #expect(!RequestIDGenerator.isAcceptable(String(repeating: "a", count: 201)))
        #expect(!RequestIDGenerator.isAcceptable("a\tb"))
        #expect(!RequestIDGenerator.isAcceptable("a\u{7F}b"))
        #expect(!RequestIDGenerator.isAcceptable("a b"))
        #expect(!RequestIDGenerator.isAcceptable("a\r\nX-Evil: 1"))
        #expect(!RequestIDGenerator.isAcceptable("é"))
    }

    @Test("the Date header is IMF-fixdate")
    func date() {
        #expect(HTTPDateCache.format(1_795_854_435) == "Sat, 28 Nov 2026 08:27:15 GMT")
        #expect(HTTPDateCache.format(0) == "Thu, 01 Jan 1970 00:00:00 GMT")
    }
}

@Suite("Event-stream framing")
struct EventStreamFramingTests {
    @Test("an event: its id, its name, and the JSON split into data lines at raw line breaks only")
    func events() {
        let cases: [(id: Int64?, name: StaticString?, data: String, framed: String)] = [
            (7, nil, #"{"a":1}"#, "id: 7\ndata: {\"a\":1}\n\n"),
            (nil, "gone", #"{"error":{}}"#, "event: gone\ndata: {\"error\":{}}\n\n"),
            (3, nil, "{\n\"a\":\r\n\"x\\ny\"}", "id: 3\ndata: {\ndata: \"a\":\ndata: \"x\\ny\"}\n\n"),
            (nil, nil, "", "\n"),
        ]
        for row in cases {
            var buffer = ByteBuffer()
            EventStreamFraming.event(id: row.id, name: row.name, data: ByteBuffer(string: row.data), into: &buffer)
            #expect(String(buffer: buffer) == row.framed, "\(row.data)")
        }
    }

    @Test("a heartbeat is a comment; chunked framing is hex length, CRLF, payload, CRLF; unchunked is the payload as is")
    func framing() {
        var heartbeat = ByteBuffer()
        EventStreamFraming.heartbeat(into: &heartbeat)
        #expect(String(buffer: heartbeat) == ": heartbeat\n\n")
        let payload = ByteBuffer(string: String(repeating: "x", count: 26))
        #expect(String(buffer: EventStreamFraming.frame(payload, chunked: true, allocator: ByteBufferAllocator())) == "1a\r\n\(String(repeating: "x", count: 26))\r\n")
        #expect(EventStreamFraming.frame(payload, chunked: false, allocator: ByteBufferAllocator()) == payload)
        #expect("\(EventStreamFraming.lastChunk)" == "0\r\n\r\n")
    }

    @Test("the stream's head: 200, text/event-stream, no caching; chunked, or (HTTP/1.0) ended by closing")
    func head() {
        let chunked = String(buffer: HTTPResponseComposer.composeEventStreamHead(requestID: "rid", date: "d", chunked: true, allocator: ByteBufferAllocator()))
        let closing = String(buffer: HTTPResponseComposer.composeEventStreamHead(requestID: "rid", date: "d", chunked: false, allocator: ByteBufferAllocator()))
        #expect(chunked.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"), "\(chunked)")
        #expect(chunked.contains("Transfer-Encoding: chunked\r\n") && !closing.contains("Transfer-Encoding"))
        #expect(closing.hasSuffix("Connection: close\r\n\r\n"))
        #expect(chunked.contains("X-Request-ID: rid\r\n") && chunked.hasSuffix("\r\n\r\n"))
        #expect(chunked.contains("Cache-Control: no-cache"))
    }
}
