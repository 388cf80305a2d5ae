import NIOCore
import NIOHTTP1
import Testing

@testable import JobStatusServer

/// The request parser's table: what each input becomes, fed whole, split in two at every byte,
/// and byte by byte (a parser that resumes wrongly gives different events for the same bytes).
@Suite("HTTP/1.1 request parser")
struct HTTPRequestParserTests {
    struct Vector: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let events: [String]

        init(_ name: String, _ text: String, _ events: [String]) {
            self.init(name, Array(text.utf8), events)
        }

        init(_ name: String, _ bytes: [UInt8], _ events: [String]) {
            self.name = name
            self.bytes = bytes
            self.events = events
        }

        var testDescription: String { self.name }
    }

    /// The bound the vectors are parsed under (`http.max_header_size`).
    static let maxHeadSize = 256

    static let acceptedVectors: [Vector] = [
        Vector("a poll", "GET /api/jobs/a1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\nUser-Agent: u\r\n\r\n", [
            "GET /api/jobs/a1 HTTP/1.1 [host: x] [authorization: Bearer t]", "end",
        ]),
        Vector("names in any case; only the lines the front reads are kept", "GET / HTTP/1.1\r\nhOST: x\r\nIF-NONE-MATCH: W/\"1.1\"\r\nX-Other: y\r\n\r\n", [
            "GET / HTTP/1.1 [host: x] [if-none-match: W/\"1.1\"]", "end",
        ]),
        Vector("HEAD over HTTP/1.0 without headers: the connection closes after it", "HEAD / HTTP/1.0\r\n\r\n", ["HEAD / HTTP/1.0 close", "end"]),
        Vector("HTTP/1.0 with keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", ["GET / HTTP/1.0", "end"]),
        Vector("HTTP/1.0 saying keep-alive and close: close wins", "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", ["GET / HTTP/1.0 close", "end"]),
        Vector("HTTP/1.1 with close among the options", "GET / HTTP/1.1\r\nConnection: keep-alive , CLOSE\r\n\r\n", ["GET / HTTP/1.1 close", "end"]),
        Vector("empty lines before the request line are skipped", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", ["GET / HTTP/1.1 [host: x]", "end"]),
        Vector("only empty lines: nothing yet", "\r\n\r\n\r\n", []),
        Vector("an incomplete head: nothing yet", "GET / HTTP/1.1\r\nHost: x\r\n", []),
        Vector("pipelined requests, in order", "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\n", [
            "GET /a HTTP/1.1 [host: x]", "end", "GET /b HTTP/1.1 [host: y]", "end",
        ]),
        Vector("blanks around a value are not part of it; inside it they are", "GET / HTTP/1.1\r\nAccept: \t a b \t\r\nX-Request-ID:\r\nPrefer:   \r\n\r\n", [
            "GET / HTTP/1.1 [x-request-id: ] [accept: a b] [prefer: ]", "end",
        ]),
        Vector("repeated lines: counted, joined into a list, or the first kept, as each header wants", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nIf-None-Match: \"1\"\r\nIf-None-Match: \"2\"\r\nAccept: a\r\nAccept: b\r\nPrefer: wait=1\r\nPrefer: x\r\n\r\n", [
            "GET / HTTP/1.1 [host: b] [if-none-match: \"1\", \"2\"] [accept: a] [prefer: wait=1] [prefer: x] [hosts: 2]", "end",
        ]),
        Vector("obs-text in a value is taken (not UTF-8: repaired)", [UInt8]("GET / HTTP/1.1\r\nX-Request-ID: caf\u{E9} ".utf8) + [0xFF] + Array("\r\n\r\n".utf8), [
            "GET / HTTP/1.1 [x-request-id: caf\u{E9} \u{FFFD}]", "end",
        ]),
        Vector("any token is a method; the planner answers it", "BREW /pot HTTP/1.1\r\n\r\n", ["BREW /pot HTTP/1.1", "end"]),
        Vector("a Content-Length body is skipped", "POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n\r\n", [
            "POST /a HTTP/1.1", "end", "GET /b HTTP/1.1", "end",
        ]),
        Vector("Content-Length: 0", "POST /a HTTP/1.1\r\ncontent-length: 0\r\n\r\n", ["POST /a HTTP/1.1", "end"]),
        Vector(
            "a chunked body with extensions and a trailer is skipped",
            "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\nA ; x\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
            ["POST /a HTTP/1.1", "end", "GET /b HTTP/1.1", "end"]
        ),
        Vector("the last coding is chunked", "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip, CHUNKED\r\n\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n", [
            "POST /a HTTP/1.1", "end", "GET /b HTTP/1.1", "end",
        ]),
        Vector("several Transfer-Encoding lines are one list", "POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /b HTTP/1.1\r\n\r\n", [
            "POST /a HTTP/1.1", "end", "GET /b HTTP/1.1", "end",
        ]),
        Vector("a chunked body over HTTP/1.0", "POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", ["POST /a HTTP/1.0 close", "end"]),
        Vector(
            "a chunked body over HTTP/1.0 closes the connection, even with keep-alive (RFC 9112 6.1)",
            "POST /a HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            ["POST /a HTTP/1.0 close", "end"]
        ),
        Vector("empty list elements are skipped: the last coding is still chunked", "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked , ,\r\n\r\n0\r\n\r\n", [
            "POST /a HTTP/1.1", "end",
        ]),
        Vector(
            "each head is bounded on its own: pipelined heads over the bound together are taken",
            String(repeating: "GET / HTTP/1.1\r\nHost: \(String(repeating: "h", count: 100))\r\n\r\n", count: 3),
            Array(repeating: ["GET / HTTP/1.1 [host: \(String(repeating: "h", count: 100))]", "end"], count: 3).flatMap { $0 }
        ),
        Vector(
            "a head of exactly the bound",
            "GET / HTTP/1.1\r\nHost: \(String(repeating: "a", count: maxHeadSize - 26))\r\n\r\n",
            ["GET / HTTP/1.1 [host: \(String(repeating: "a", count: maxHeadSize - 26))]", "end"]
        ),
    ]

    static let refusedVectors: [Vector] = [
        Vector("no version", "GET /api/jobs/a1\r\n\r\n", ["refused: malformed request line"]),
        Vector("a word after the version", "GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", ["refused: malformed request line"]),
        Vector("two blanks after the method", "GET  / HTTP/1.1\r\n\r\n", ["refused: malformed request line"]),
        Vector("a tab for a blank", "GET\t/ HTTP/1.1\r\n\r\n", ["refused: malformed request line"]),
        Vector("a lowercase protocol name", "GET / http/1.1\r\n\r\n", ["refused: malformed request line"]),
        Vector("HTTP/2.7", "GET / HTTP/2.7\r\nHost: x\r\n\r\n", ["refused: unsupported HTTP version"]),
        Vector("HTTP/1.2", "GET / HTTP/1.2\r\n\r\n", ["refused: unsupported HTTP version"]),
        Vector("a raw NUL in the target", [UInt8]("GET /a".utf8) + [0] + Array("b HTTP/1.1\r\n\r\n".utf8), ["refused: malformed request line"]),
        Vector("a byte outside ASCII in the target", [UInt8]("GET /a".utf8) + [0xC3, 0xA9] + Array(" HTTP/1.1\r\n\r\n".utf8), ["refused: malformed request line"]),
        Vector("LF without CR, in a head", "GET / HTTP/1.1\nHost: x\n\n", ["refused: line not ended by CRLF"]),
        Vector("LF without CR, after a complete line", "GET / HTTP/1.1\r\nHost: x\n\r\n", ["refused: line not ended by CRLF"]),
        Vector("CR without LF, in a value", "GET / HTTP/1.1\r\nA: a\rb\r\n\r\n", ["refused: line not ended by CRLF"]),
        Vector("a header line without a colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", ["refused: malformed header line"]),
        Vector("a blank before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", ["refused: malformed header line"]),
        Vector("a line folded onto the one before (obs-fold)", "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", ["refused: malformed header line"]),
        Vector("an empty name", "GET / HTTP/1.1\r\n: x\r\n\r\n", ["refused: malformed header line"]),
        Vector("a control in a value", "GET / HTTP/1.1\r\nX: a\u{1}b\r\n\r\n", ["refused: malformed header line"]),
        Vector("DEL in a value", "GET / HTTP/1.1\r\nX: a\u{7F}b\r\n\r\n", ["refused: malformed header line"]),
        Vector("two Content-Length lines, even equal", "GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", ["refused: invalid Content-Length"]),
        Vector("a signed Content-Length", "GET / HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc", ["refused: invalid Content-Length"]),
        Vector("a Content-Length list", "GET / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc", ["refused: invalid Content-Length"]),
        Vector("an empty Content-Length", "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", ["refused: invalid Content-Length"]),
        Vector("a Content-Length of 19 digits", "GET / HTTP/1.1\r\nContent-Length: 1000000000000000000\r\n\r\n", ["refused: invalid Content-Length"]),
        Vector("Transfer-Encoding beside Content-Length (smuggling)", "GET / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", [
            "refused: invalid Transfer-Encoding",
        ]),
        Vector("a last coding other than chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", ["refused: invalid Transfer-Encoding"]),
        Vector("an empty Transfer-Encoding", "POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", ["refused: invalid Transfer-Encoding"]),
        Vector("a chunk size that is not hex", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", [
            "POST / HTTP/1.1", "refused: malformed chunked body",
        ]),
        Vector("a chunk size of 16 hex digits", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", [
            "POST / HTTP/1.1", "refused: malformed chunked body",
        ]),
        Vector("a blank after a chunk size, without an extension", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", [
            "POST / HTTP/1.1", "refused: malformed chunked body",
        ]),
        Vector("an empty chunk-size line", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", [
            "POST / HTTP/1.1", "refused: malformed chunked body",
        ]),
        Vector("chunk data longer than its size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", [
            "POST / HTTP/1.1", "refused: malformed chunked body",
        ]),
        Vector("a control in a chunk extension", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;\u{0}\r\nabc\r\n0\r\n\r\n", [
            "POST / HTTP/1.1", "refused: malformed chunked body",
        ]),
        Vector("a trailer line without a colon", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad\r\n\r\n", [
            "POST / HTTP/1.1", "refused: malformed chunked body",
        ]),
        Vector(
            "a head one byte over the bound",
            "GET / HTTP/1.1\r\nHost: \(String(repeating: "a", count: maxHeadSize - 25))\r\n\r\n",
            ["refused: head larger than http.max_header_size"]
        ),
        Vector(
            "empty lines before a request line count toward its head",
            String(repeating: "\r\n", count: 100) + "GET / HTTP/1.1\r\nHost: \(String(repeating: "a", count: 60))\r\n\r\n",
            ["refused: head larger than http.max_header_size"]
        ),
        Vector("endless empty lines", String(repeating: "\r\n", count: maxHeadSize / 2 + 1), ["refused: head larger than http.max_header_size"]),
        Vector(
            "an incomplete head over the bound",
            "GET / HTTP/1.1\r\nX: \(String(repeating: "a", count: maxHeadSize))",
            ["refused: head larger than http.max_header_size"]
        ),
        Vector(
            "a trailer over the bound",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + (0..<20).map { "T-\($0): \(String(repeating: "v", count: 10))\r\n" }.joined() + "\r\n",
            ["POST / HTTP/1.1", "refused: head larger than http.max_header_size"]
        ),
        Vector(
            "a chunk-size line over 4 KiB",
            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" + String(repeating: "e", count: 4096) + "\r\n",
            ["POST / HTTP/1.1", "refused: malformed chunked body"]
        ),
        Vector("a request, then bytes that are not one, then a request: nothing after the refusal", "GET /a HTTP/1.1\r\n\r\nhello\r\n\r\nGET /b HTTP/1.1\r\n\r\n", [
            "GET /a HTTP/1.1", "end", "refused: malformed request line",
        ]),
    ]

    /// What the parser makes of `pieces`, fed one after the other.
    static func events(_ pieces: [ArraySlice<UInt8>], maxHeadSize: Int = Self.maxHeadSize) -> [String] {
        var parser = HTTPRequestParser(maxHeadSize: maxHeadSize)
        var events: [String] = []
        for piece in pieces {
            parser.append(ByteBuffer(bytes: piece))
            while let event = parser.next() {
                events.append(Self.describe(event))
            }
        }
        return events
    }

    static func describe(_ event: HTTPRequestParser.Event) -> String {
        switch event {
        case .head(let head): Self.describe(head)
        case .end: "end"
        case .refused(let refusal): "refused: \(refusal)"
        }
    }

    /// The request line, the lines the front keeps (in a fixed order), the counts of lines that
    /// must not repeat when they did, and `close` when the connection closes after the request.
    static func describe(_ head: RequestHead) -> String {
        var parts = ["\(head.method.rawValue) \(head.target) \(head.version)"]
        let fields: [(String, String?)] = [
            ("host", head.host), ("authorization", head.authorization), ("x-request-id", head.requestID),
            ("if-none-match", head.ifNoneMatch), ("accept", head.accept), ("last-event-id", head.lastEventID),
            ("x-forwarded-proto", head.forwardedProto), ("x-forwarded-host", head.forwardedHost),
            ("x-consumer-id", head.consumerID), ("x-custom-psk", head.presharedKey),
            ("traceparent", head.traceParent), ("tracestate", head.traceState),
        ]
        parts += fields.compactMap { name, value in value.map { "[\(name): \($0)]" } }
        parts += head.prefer.map { "[prefer: \($0)]" }
        for (name, count) in [("hosts", head.hostCount), ("x-consumer-ids", head.consumerIDCount), ("x-custom-psks", head.presharedKeyCount)] where count > 1 {
            parts.append("[\(name): \(count)]")
        }
        if !head.isKeepAlive { parts.append("close") }
        return parts.joined(separator: " ")
    }

    @Test("accepted: each input gives its heads and ends, however it is split", arguments: acceptedVectors)
    func accepted(_ vector: Vector) {
        Self.check(vector)
    }

    @Test("refused: each input is refused for its reason, however it is split, and nothing is parsed after", arguments: refusedVectors)
    func refused(_ vector: Vector) {
        Self.check(vector)
        // Each refusal as provoked: how many bytes, and what ended them (the bounds among them:
        // max_header_size for heads, empty lines and trailers, 4 KiB for a chunk line).
        let start = String(decoding: vector.bytes.prefix(16), as: UTF8.self).debugDescription
        print("request parser: \(vector.bytes.count) bytes starting \(start) → \(Self.events([vector.bytes[...]]).last ?? "nothing")")
    }

    static func check(_ vector: Vector) {
        let bytes = vector.bytes[...]
        #expect(Self.events([bytes]) == vector.events, "whole")
        for split in 1..<bytes.count {
            let events = Self.events([bytes[..<split], bytes[split...]])
            #expect(events == vector.events, "split at \(split)")
            if events != vector.events { return }
        }
        #expect(Self.events(bytes.map { [$0][...] }) == vector.events, "byte by byte")
    }

    @Test("bounds: what the parser keeps between reads is bounded by the head, never by a body; it prints what it kept")
    func bounds() {
        let maxHeadSize = 16_384
        // A head one byte short of the bound, trickled in a byte at a time: kept whole, then parsed.
        var parser = HTTPRequestParser(maxHeadSize: maxHeadSize)
        let head = Array("GET / HTTP/1.1\r\nX: \(String(repeating: "a", count: maxHeadSize - 24))\r\n\r\n".utf8)
        var mostKept = 0
        var events: [String] = []
        for byte in head {
            parser.append(ByteBuffer(bytes: [byte]))
            while let event = parser.next() { events.append(Self.describe(event)) }
            mostKept = max(mostKept, parser.bufferedBytes)
        }
        print("request parser: a \(head.count)-byte head fed a byte at a time kept at most \(mostKept) bytes, then \(events.count) events")
        #expect(events.count == 2 && mostKept < head.count)

        // 64 MiB of body (and its last byte, or last chunk, after), framed by length and then
        // chunked, in 64 KiB reads: nothing kept.
        for framing in ["Content-Length: 67108865", "Transfer-Encoding: chunked"] {
            var parser = HTTPRequestParser(maxHeadSize: maxHeadSize)
            parser.append(ByteBuffer(string: "POST / HTTP/1.1\r\n\(framing)\r\n\r\n"))
            #expect(parser.next().map(Self.describe) == "POST / HTTP/1.1")
            let read = ByteBuffer(repeating: UInt8(ascii: "b"), count: 65_536)
            let chunkHead = ByteBuffer(string: "10000\r\n")
            let chunkEnd = ByteBuffer(string: "\r\n")
            var mostKept = 0
            for _ in 0..<1024 {
                if framing.hasPrefix("Transfer") { parser.append(chunkHead) }
                parser.append(read)
                if framing.hasPrefix("Transfer") { parser.append(chunkEnd) }
                #expect(parser.next() == nil)
                mostKept = max(mostKept, parser.bufferedBytes)
            }
            parser.append(ByteBuffer(string: framing.hasPrefix("Transfer") ? "0\r\n\r\n" : "b"))
            #expect(parser.next().map(Self.describe) == "end")
            print("request parser: a 64 MiB body (\(framing)) in 64 KiB reads kept at most \(mostKept) bytes")
            #expect(mostKept <= 8)
        }

        // A refusal drops what was kept, and what comes after.
        var refused = HTTPRequestParser(maxHeadSize: maxHeadSize)
        refused.append(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: x"))
        #expect(refused.next() == nil && refused.bufferedBytes > 0)
        refused.append(ByteBuffer(string: "\n\r\n"))
        #expect(refused.next().map(Self.describe) == "refused: line not ended by CRLF")
        refused.append(ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n"))
        #expect(refused.next() == nil && refused.bufferedBytes == 0)
    }
}
