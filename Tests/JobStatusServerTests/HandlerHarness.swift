import JobStatusConfiguration
import JobStatusCore
import JobStatusTestSupport
import Logging
import NIOCore
import NIOEmbedded

@testable import JobStatusServer

/// The front's real connection pipeline (the bytes gate and its request parser, the request handler)
/// on an embedded channel, over an in-memory job store, with the embedded loop's clock.
final class HandlerHarness {
    let channel = EmbeddedChannel()
    let store = InMemoryJobStore()
    let readCounter = ReadCounter()
    let server: ServerContext

    static let pendingJob: [JobRecordField: String] = [
        .status: "pending", .eta: "2026-01-01T00:00:00.000Z", .version: "1", .createdAt: "7",
    ]

    /// Every log line the front writes, when it was made with `recordingLogs`.
    let logs = LogRecorder()

    init(
        configure: (inout ServerConfiguration) -> Void = { _ in },
        authentication: Authentication = .none,
        recordingLogs: Bool = false,
        operatorListener: Bool = false
    ) throws {
        var configuration = ServerConfiguration()
        configuration.auth.mode = .none
        configuration.limits.rate = 0
        configuration.polling.heartbeat = .seconds(15)
        configure(&configuration)
        let recorder = self.logs
        var logger = recordingLogs ? Logger(label: "test") { _ in recorder.handler } : Logger(label: "test")
        logger.logLevel = recordingLogs ? .info : .critical
        self.server = ServerContext(
            configuration: configuration,
            authentication: authentication,
            logger: logger,
            metricsRegistry: nil,
            isOperatorListener: operatorListener
        )
        try self.channel.pipeline.syncOperations.addHandler(self.readCounter)
        try ConnectionPipeline(server: self.server, loop: LoopResources(store: self.store)).install(on: self.channel)
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
    }

    /// Sends bytes as the client.
    func send(_ text: String) throws {
        try self.channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything written to the client since the last call, with `Date` values replaced by
    /// `<date>` (they change every second).
    func output() throws -> String {
        var text = ""
        while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text.replacing(/Date: [^\r]+\r\n/, with: "Date: <date>\r\n")
    }

    func advance(_ amount: TimeAmount) {
        self.channel.embeddedEventLoop.advanceTime(by: amount)
    }

    var isOpen: Bool { self.channel.isActive }

    /// A request for a job, with a fixed request id.
    static func poll(_ path: String, _ headers: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: x\r\nX-Request-ID: rid\r\n\(headers)\r\n"
    }

    /// The envelope of the pending job `id` (version 1), as the front writes it.
    static func pendingEnvelope(_ id: String, path: String? = nil) -> String {
        #"{"data":{"status":"pending","eta":"2026-01-01T00:00:00.000Z","links":[{"entity":"job","href":"/api/jobs/\#(id)"}]},"#
            + #""meta":{"code":200,"url":"http://x\#(path ?? "/api/jobs/\(id)")","type":"object","request_id":"rid"}}"#
    }

    static func pendingResponse(_ id: String, extraHeaders: String = "") -> String {
        let body = Self.pendingEnvelope(id)
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "X-Request-ID: rid\r\nDate: <date>\r\nRetry-After: 1\r\nETag: W/\"1.7\"\r\nCache-Control: no-cache\r\n\(extraHeaders)\r\n\(body)"
    }
}

/// Counts the reads the pipeline asks of the socket.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = Any
    private(set) var count = 0

    func read(context: ChannelHandlerContext) {
        self.count += 1
        context.read()
    }
}

/// Every line logged through its handlers: the message and the metadata.
final class LogRecorder: @unchecked Sendable {
    private(set) var lines: [(message: String, metadata: [String: String])] = []

    fileprivate func record(_ message: String, _ metadata: Logger.Metadata) {
        self.lines.append((message, metadata.mapValues { "\($0)" }))
    }

    /// A handler for a logger that records here (a value, as swift-log's handlers must be: a
    /// logger's metadata is its own copy's).
    var handler: some LogHandler { Handler(recorder: self) }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            self.recorder.record(event.message.description, self.metadata.merging(event.metadata ?? [:]) { _, new in new })
        }
    }
}
