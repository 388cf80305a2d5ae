import Foundation
import FuzzSupport
import JobStatusCore
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import RedisWire

@testable import JobStatusServer

/// libFuzzer target: any bytes a client may send, through the real pipeline (NIOHTTP1's decoder,
/// the timeouts, the request handler) with Redis replaced by canned records. The server must not
/// crash, and everything it writes must be HTTP/1.1 responses whose JSON bodies parse.
/// The process entry point (see `runFuzzer`).
@_cdecl("FuzzRequests_main")
public func fuzzRequestsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, fuzzRequests)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequests(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let channel = EmbeddedChannel()
    let router = CannedRouter(eventLoop: channel.embeddedEventLoop)
    let loop = LoopResources(redis: router, watches: JobWatchRegistry(hub: NoSubscriptions(), eventLoop: channel.eventLoop))
    let timeouts = ConnectionTimeoutHandler(headerTimeout: .seconds(10), idleTimeout: .seconds(60))
    var limits = NIOHTTPDecoderLimitConfiguration()
    limits.maxHeaderFieldSize = 16_384
    limits.maxHeaderListSize = 16_384
    let handler = JobRequestHandler(server: Fixtures.server, loop: loop, timeouts: timeouts)
    try! channel.pipeline.syncOperations.addHandlers([
        timeouts, ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: limits)), handler,
    ])
    _ = try? channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
    _ = try? channel.writeInbound(ByteBuffer(bytes: UnsafeBufferPointer(start: data, count: size)))
    channel.embeddedEventLoop.run()
    var output: [UInt8] = []
    while let written = try? channel.readOutbound(as: ByteBuffer.self) {
        output += written.readableBytesView
    }
    _ = try? channel.finish()
    Fixtures.check(output)
    return 0
}

enum Fixtures {
    static let token = "fuzz-token"

    static let server: ServerContext = {
        var configuration = ServerConfiguration()
        configuration.authMode = .tokens
        configuration.rateLimit = 0
        let digest = "33cc09ba35314d19e32ed9a5a30fca56eebbfab5faec7247fd0403cd26e155b5"
        let tokens = try! TokenAuthenticator(
            json: Array(#"{"tokens":[{"client_id":"mis-1","sha256":"\#(digest)","scopes":["job:read"]}]}"#.utf8),
            source: "fuzz"
        )
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        return ServerContext(configuration: configuration, authentication: .tokens(tokens), logger: logger, metricsRegistry: nil)
    }()

    /// Every response starts with a status line and a complete head; JSON bodies parse.
    static func check(_ output: [UInt8]) {
        var rest = output[...]
        while !rest.isEmpty {
            guard rest.starts(with: Array("HTTP/1.1 ".utf8)) else {
                fatalError("not an HTTP response: \(String(decoding: rest.prefix(80), as: UTF8.self))")
            }
            guard let end = rest.firstRange(of: Array("\r\n\r\n".utf8)) else { fatalError("an incomplete response head") }
            let head = String(decoding: rest[..<end.lowerBound], as: UTF8.self)
            rest = rest[end.upperBound...]
            // Streams are chunked, and a HEAD answer has a length but no body: stop checking there.
            if head.contains("Transfer-Encoding: chunked") { return }
            guard let lengthLine = head.split(separator: "\r\n").first(where: { $0.hasPrefix("Content-Length: ") }),
                let length = Int(lengthLine.dropFirst(16))
            else {
                // No length and a close: the body runs to the end (an event stream to an HTTP/1.0
                // client, which cannot take chunks). Each event's data must still be JSON.
                if head.contains("Connection: close") {
                    self.checkEvents(String(decoding: rest, as: UTF8.self))
                    return
                }
                continue
            }
            guard rest.count >= length, !rest.starts(with: Array("HTTP/1.1 ".utf8)) else { continue }
            let body = Data(rest.prefix(length))
            if head.contains("application/json"), (try? JSONSerialization.jsonObject(with: body)) == nil {
                fatalError("invalid JSON body: \(String(decoding: body, as: UTF8.self))")
            }
            rest = rest.dropFirst(length)
        }
    }

    /// Every `data:` line of an event stream is one JSON envelope.
    static func checkEvents(_ stream: String) {
        for line in stream.split(separator: "\n") where line.hasPrefix("data: ") {
            if (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8))) == nil {
                fatalError("invalid JSON event: \(line)")
            }
        }
    }
}

/// Subscriptions are never available: long polls and streams answer from plain reads.
final class NoSubscriptions: SubscriptionSource {
    func retain(_ key: String, from eventLoop: any EventLoop, ready: @escaping @Sendable (Bool) -> Void) {
        eventLoop.execute { ready(false) }
    }

    func release(_ key: String, from eventLoop: any EventLoop) {}
}

/// Redis, replaced by canned records chosen by the key's last character.
final class CannedRouter: RedisRouter {
    let eventLoop: any EventLoop
    var isReady: Bool { true }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    private static func reply(_ fields: [String?]) -> ByteBuffer {
        var buffer = ByteBuffer(string: "*\(fields.count)\r\n")
        for field in fields {
            if let field { buffer.writeString("$\(field.utf8.count)\r\n\(field)\r\n") } else { buffer.writeString("$-1\r\n") }
        }
        return buffer
    }

    static let records: [ByteBuffer] = [
        reply(["pending", "2026-11-28T10:45:16.000Z", nil, nil, nil, nil, "mis-1", "1", "1795855073327"]),
        reply(["processed", "2026-11-28T10:45:16.000Z", "200", #"[{"entity":"e","href":"/a\"b"}]"#, nil, nil, nil, "2", "17"]),
        reply(["failed", "eta", "422", nil, nil, #"{"type":"validation_failed","message":"m","invalid":[]}"#, nil, "2", nil]),
        reply(["processed", "x", "200", nil, "{broken", nil, nil, "2", "1"]),
        reply([nil, nil, nil, nil, nil, nil, nil, nil, nil]),
        ByteBuffer(string: "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ]

    func send(key: UnsafeRawBufferPointer, readOnly: Bool, to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        let record = Self.records[Int(key.last ?? 0) % Self.records.count]
        let reader = RedisReplyReader()
        try! reader.feed(record)
        try! reader.drainReplies { receiver.receive($0) }
    }

    func send(to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void) {
        let reader = RedisReplyReader()
        try! reader.feed(ByteBuffer(string: "+PONG\r\n"))
        try! reader.drainReplies { receiver.receive($0) }
    }

    func start() -> EventLoopFuture<Void> { self.eventLoop.makeSucceededVoidFuture() }
    func shutdown() -> EventLoopFuture<Void> { self.eventLoop.makeSucceededVoidFuture() }
}
