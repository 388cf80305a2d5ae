import Foundation
import FuzzSupport
import JobStatusConfiguration
import JobStatusCore
import JobStatusTestSupport
import Logging
import NIOCore
import NIOEmbedded

@testable import JobStatusServer

/// libFuzzer target: any bytes a client may send, through the real pipeline (the bytes gate and
/// its request parser, the request handler and its state machine) with the job store replaced by
/// canned records. The server must not crash, and everything it writes must be HTTP/1.1 responses whose JSON bodies parse.
/// The process entry point (see `runFuzzer`).
@_cdecl("FuzzRequests_main")
public func fuzzRequestsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, fuzzRequests)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequests(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let channel = EmbeddedChannel()
    let store = InMemoryJobStore()
    // Subscriptions are never available: long polls and streams answer from plain reads.
    store.watchBehaviour = .refuse
    store.fallback = { id in Fixtures.records[Int(id.utf8.last ?? 0) % Fixtures.records.count] }
    try! ConnectionPipeline(server: Fixtures.server, loop: LoopResources(store: store)).install(on: channel)
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
        configuration.auth.mode = .tokens
        configuration.limits.rate = 0
        let digest = "33cc09ba35314d19e32ed9a5a30fca56eebbfab5faec7247fd0403cd26e155b5"
        let tokens = try! TokenAuthenticator(
            json: Array(#"{"tokens":[{"client_id":"mis-1","sha256":"\#(digest)","scopes":["job:read"]}]}"#.utf8),
            source: "fuzz"
        )
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        return ServerContext(configuration: configuration, authentication: .tokens(tokens), logger: logger, metricsRegistry: nil)
    }()

    /// Records chosen by the id's last character: pending, processed with links, failed with a
    /// validation error, and records that break the contract; ids past them are unknown.
    nonisolated(unsafe) static let records: [StoredRecord?] = [
        StoredRecord([.status: "pending", .eta: "2026-11-28T10:45:16.000Z", .owner: "mis-1", .version: "1", .createdAt: "1795855073327"]),
        StoredRecord([
            .status: "processed", .eta: "2026-11-28T10:45:16.000Z", .statusCode: "200",
            .links: #"[{"entity":"e","href":"/a\"b"}]"#, .version: "2", .createdAt: "17",
        ]),
        StoredRecord([
            .status: "failed", .eta: "eta", .statusCode: "422",
            .error: #"{"type":"validation_failed","message":"m","invalid":[]}"#, .version: "2",
        ]),
        StoredRecord([.status: "processed", .eta: "x", .statusCode: "200", .responseData: "{broken", .version: "2", .createdAt: "1"]),
        nil,
    ]

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

