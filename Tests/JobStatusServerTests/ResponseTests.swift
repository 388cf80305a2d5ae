import NIOCore
import Testing

@testable import JobStatusServer

@Suite("Response framing")
struct ResponseTests {
    @Test("status line, fixed headers, optional headers, body")
    func framing() {
        let body = ByteBuffer(string: #"{"a":1}"#)
        let response = HTTPResponseComposer.compose(
            status: .serviceUnavailable,
            headers: ResponseHeaders(retryAfter: 1, allowGetHead: true, wwwAuthenticate: "Bearer", location: "/x"),
            requestID: "rid",
            date: "Sat, 28 Nov 2026 08:27:15 GMT",
            connection: .keepAliveHTTP10,
            body: body,
            includeBody: true,
            allocator: ByteBufferAllocator()
        )
        #expect(
            String(buffer: response) == "HTTP/1.1 503 Service Unavailable\r\n"
                + "Content-Type: application/json; charset=utf-8\r\nContent-Length: 7\r\nX-Request-ID: rid\r\n"
                + "Date: Sat, 28 Nov 2026 08:27:15 GMT\r\nConnection: keep-alive\r\nRetry-After: 1\r\n"
                + "Allow: GET, HEAD\r\nWWW-Authenticate: Bearer\r\nLocation: /x\r\n\r\n{\"a\":1}"
        )
    }

    @Test("HEAD: the same headers, Content-Length included, and no body")
    func head() {
        let response = HTTPResponseComposer.compose(
            status: .ok,
            headers: ResponseHeaders(),
            requestID: "rid",
            date: "d",
            connection: .close,
            body: ByteBuffer(string: "12345"),
            includeBody: false,
            allocator: ByteBufferAllocator()
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
