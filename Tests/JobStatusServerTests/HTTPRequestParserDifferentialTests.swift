import NIOCore
import NIOEmbedded
import NIOHTTP1
import RedisTestSupport
import Testing

@testable import JobStatusServer

/// The hand-written request parser is held to NIOHTTP1's decoder (llhttp), which parsed the
/// requests before it: random valid requests, pipelined and fed in random pieces, come out of
/// both as the same heads and ends (NIOHTTP1's heads read as `RequestHead` reads the same lines,
/// its keep-alive decision included). What the parser refuses and llhttp may not is in the table
/// (`HTTPRequestParserTests`).
@Suite("HTTP/1.1 request parsing, against NIOHTTP1")
struct HTTPRequestParserDifferentialTests {
    /// Names the decoders treat as more than a header: framing, which the generator writes
    /// itself, what makes llhttp hand the connection over (an upgrade), and `Connection`, written
    /// only on a stream's last request (NIOHTTP1 takes nothing after a `close`).
    static let reservedNames: Set<String> = ["content-length", "transfer-encoding", "connection", "upgrade", "expect"]
    /// The lines the front reads, half of the generated ones, in random case.
    static let readNames = [
        "Host", "Authorization", "X-Request-ID", "If-None-Match", "Prefer", "Accept", "Last-Event-ID", "X-Forwarded-Proto",
        "X-Forwarded-Host", "X-Consumer-ID", "X-Custom-PSK", "traceparent", "tracestate",
    ]

    static func randomToken(_ count: ClosedRange<Int>, using generator: inout SeededGenerator) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~")
        return String((0..<Int.random(in: count, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// A value of visible ASCII and blanks inside, without blanks at either end (RFC 9110 §5.5).
    static func randomValue(using generator: inout SeededGenerator) -> [UInt8] {
        let count = Int.random(in: 0...60, using: &generator)
        var value = (0..<count).map { _ in UInt8.random(in: 0x20...0x7E, using: &generator) }
        while value.last == HTTPBytes.space { value.removeLast() }
        while value.first == HTTPBytes.space { value.removeFirst() }
        return value
    }

    /// A random request: method, target, version, headers with random blanks before their values,
    /// and no body, a `Content-Length` body or a chunked one (extensions, trailers). HTTP/1.0 only
    /// as a stream's last request: NIOHTTP1 takes nothing after one that does not keep alive.
    static func randomRequest(last: Bool, using generator: inout SeededGenerator) -> [UInt8] {
        let method = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"].randomElement(using: &generator)!
        let targetAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,;=:@/?")
        let target = "/" + String((0..<Int.random(in: 0...80, using: &generator)).map { _ in targetAlphabet.randomElement(using: &generator)! })
        let version = !last || Bool.random(using: &generator) ? "HTTP/1.1" : "HTTP/1.0"
        var wire = Array("\(method) \(target) \(version)\r\n".utf8)
        for _ in 0..<Int.random(in: 0...12, using: &generator) {
            var name = Self.randomToken(1...24, using: &generator)
            while Self.reservedNames.contains(name.lowercased()) { name = Self.randomToken(1...24, using: &generator) }
            if Bool.random(using: &generator) {
                name = String(Self.readNames.randomElement(using: &generator)!.map { Bool.random(using: &generator) ? $0.uppercased().first! : $0.lowercased().first! })
            }
            let blanks = (0..<Int.random(in: 0...3, using: &generator)).map { _ in Bool.random(using: &generator) ? HTTPBytes.space : HTTPBytes.tab }
            wire += Array(name.utf8) + [HTTPBytes.colon] + blanks + Self.randomValue(using: &generator) + [HTTPBytes.cr, HTTPBytes.lf]
        }
        let payload = { (generator: inout SeededGenerator) in
            (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        if last && Bool.random(using: &generator) {
            let options = ["close", "keep-alive", "Keep-Alive", "CLOSE", "foo", "keep-alive, close", "x , Keep-Alive"]
            wire += Array("Connection: \(options.randomElement(using: &generator)!)\r\n".utf8)
        }
        switch Int.random(in: 0..<3, using: &generator) {
        case 0:
            wire += Array("\r\n".utf8)
        case 1:
            let body = payload(&generator)
            wire += Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
        default:
            wire += Array("Transfer-Encoding: chunked\r\n\r\n".utf8)
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                let chunk = payload(&generator)
                guard !chunk.isEmpty else { continue }
                let extensions = Bool.random(using: &generator) ? ";name=\(Self.randomToken(1...8, using: &generator))" : ""
                wire += Array("\(String(chunk.count, radix: 16, uppercase: Bool.random(using: &generator)))\(extensions)\r\n".utf8) + chunk + [HTTPBytes.cr, HTTPBytes.lf]
            }
            wire += Array("0\r\n".utf8)
            for _ in 0..<Int.random(in: 0...2, using: &generator) {
                wire += Array("X-Trailer-\(Self.randomToken(1...6, using: &generator)): v\r\n".utf8)
            }
            wire += Array("\r\n".utf8)
        }
        return wire
    }

    /// What NIOHTTP1's decoder makes of `pieces`: heads and ends, bodies left out.
    static func oracleEvents(_ pieces: [ArraySlice<UInt8>]) throws -> [String] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        var events: [String] = []
        for piece in pieces {
            try channel.writeInbound(ByteBuffer(bytes: piece))
            while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
                switch part {
                case .head(let head):
                    let read = RequestHead(method: head.method, target: head.uri, version: head.version, headers: head.headers.map { ($0.name, $0.value) })
                    // NIOHTTP1 (llhttp) decides keep-alive itself: the two decisions must agree, but
                    // where a request says both `keep-alive` and `close`. Then `close` wins (RFC 9112
                    // §9.3), where llhttp keeps an HTTP/1.0 connection open.
                    // And a chunked HTTP/1.0 request closes the connection (RFC 9112 §6.1).
                    let options = head.headers[canonicalForm: "connection"].map { $0.lowercased() }
                    let contradictory = options.contains("close") && options.contains("keep-alive")
                    let chunkedHTTP10 = head.version == .http1_0 && head.headers.contains(name: "transfer-encoding")
                    if chunkedHTTP10 {
                        read.closeAfterwards()
                    }
                    let mustClose = contradictory || chunkedHTTP10
                    #expect(read.isKeepAlive == (head.isKeepAlive && !mustClose), "keep-alive of \(head)")
                    events.append(HTTPRequestParserTests.describe(read))
                case .body: break
                case .end: events.append("end")
                }
            }
        }
        _ = try channel.finish()
        return events
    }

    /// Random pieces of 1 to `largest` bytes.
    static func split(_ bytes: [UInt8], largest: Int, using generator: inout SeededGenerator) -> [ArraySlice<UInt8>] {
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + Int.random(in: 1...largest, using: &generator))
            pieces.append(bytes[start..<end])
            start = end
        }
        return pieces
    }

    @Test("300 random streams of 1 to 5 pipelined requests, in random pieces (20 byte by byte): the same heads and ends as NIOHTTP1")
    func randomStreams() throws {
        var requests = 0
        for seed in UInt64(1)...300 {
            var generator = SeededGenerator(seed: seed)
            let count = Int.random(in: 1...5, using: &generator)
            requests += count
            let stream = (0..<count).flatMap { index in Self.randomRequest(last: index == count - 1, using: &generator) }
            let pieces = Self.split(stream, largest: seed <= 20 ? 1 : 512, using: &generator)
            let expected = try Self.oracleEvents(pieces)
            #expect(expected.count == 2 * count, "seed \(seed): the oracle saw every request")
            let events = HTTPRequestParserTests.events(pieces, maxHeadSize: 1 << 20)
            #expect(events == expected, "seed \(seed)")
            if events != expected { return }
        }
        print("request parser: \(requests) random requests in 300 streams parsed as NIOHTTP1 parses them")
    }
}
