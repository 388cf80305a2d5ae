import Benchmark
import JobStatusConfiguration
import JobStatusCore
import JobStatusServer
import JobStatusTestSupport
import Logging
import NIOCore
import NIOEmbedded

/// The whole poll on the front's real connection pipeline (`ConnectionPipeline`: the bytes gate,
/// which parses the requests, the request handler), on an embedded channel over an in-memory store:
/// the request's bytes in, the response's bytes out, as `make bench` sends them (a bearer token,
/// an `If-None-Match` that never matches, or the job's own tag for the 304).
enum WholePoll {
    static let token = "bench-token-not-a-secret"
    static let id = "NBXk9EyErUZv1RhXgyvgg"
    /// The record `scripts/bench/seed.py` writes: processed, three links, version 2.
    static let record: [JobRecordField: String] = [
        .status: "processed", .eta: "2026-11-28T10:45:16.000Z", .statusCode: "200",
        .links: Fixture.links,
        .version: "2", .createdAt: "1795855073327",
    ]

    static func register() {
        Benchmark("whole poll: request bytes → 303 response bytes (bearer token, in-memory store)") { benchmark in
            try self.run(benchmark, ifNoneMatch: #"W/"0.0""#, expecting: "HTTP/1.1 303 ")
        }
        Benchmark("whole poll: request bytes → 304 response bytes (the job's own tag)") { benchmark in
            try self.run(benchmark, ifNoneMatch: #"W/"2.1795855073327""#, expecting: "HTTP/1.1 304 ")
        }
    }

    /// Polls one connection `scaledIterations` times; each response is checked once, before the
    /// measurement, so the loop measures the front and nothing of the benchmark's own.
    private static func run(_ benchmark: Benchmark, ifNoneMatch: String, expecting status: String) throws {
        let channel = EmbeddedChannel()
        let store = InMemoryJobStore()
        store.write(self.id, self.record)
        try self.pipeline(store: store).install(on: channel)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        let request = ByteBuffer(
            string: "GET /api/jobs/\(self.id) HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: Bearer \(self.token)\r\n"
                + "If-None-Match: \(ifNoneMatch)\r\n\r\n"
        )
        try channel.writeInbound(request)
        channel.embeddedEventLoop.run()
        guard let first = try channel.readOutbound(as: ByteBuffer.self), String(buffer: first).hasPrefix(status) else {
            throw WholePollError(message: "the front did not answer \(status)")
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try channel.writeInbound(request)
            channel.embeddedEventLoop.run()
            blackHole(try channel.readOutbound(as: ByteBuffer.self))
        }
        benchmark.stopMeasurement()
        _ = try channel.finish()
    }

    private static func pipeline(store: InMemoryJobStore) throws -> ConnectionPipeline {
        var configuration = ServerConfiguration()
        configuration.auth.mode = .tokens
        configuration.limits.rate = 0
        let digest = "2ddcea4955739e7f5236d71b1d2aea052c4d6118d2fc9ff40195af6b69ab50cd"
        let tokens = try TokenAuthenticator(
            json: Array(#"{"tokens":[{"client_id":"bench","sha256":"\#(digest)","scopes":["job:read"]}]}"#.utf8),
            source: "benchmark"
        )
        var logger = Logger(label: "benchmark")
        logger.logLevel = .critical
        return ConnectionPipeline(configuration: configuration, authentication: .tokens(tokens), logger: logger, store: store)
    }
}

struct WholePollError: Error {
    let message: String
}
