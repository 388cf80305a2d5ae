import Benchmark
import JobStatusCore
import NIOCore
import RedisWire

/// The whole poll (request bytes in, response bytes out: `WholePoll.swift`), then the pieces of it
/// that are ours: decoding the HMGET reply, checking the record, writing the envelope,
/// encoding the command. Reported with allocations, which the hot path keeps low: a change that
/// adds one per poll shows here without a load test.
///
/// Retain and release counts are not among the metrics: on Linux with Swift 6.3 the runtime's
/// retain hooks crash the process (ordo-one/benchmark issue 349), and the interposer the package
/// uses instead (ordo-one/swift-runtime-interposer) is not in this project's package mirror.
/// `make retains` counts them on a release front instead.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        scalingFactor: .kilo,
        maxDuration: .seconds(5)
    )

    WholePoll.register()

    let links = Fixture.links
    let processedReply = Fixture.hmgetReply([
        "processed", "2026-11-28T10:45:16.000Z", "200", links, nil, nil, nil, "2", "1795855073327",
    ])
    let pendingReply = Fixture.hmgetReply([
        "pending", "2026-11-28T10:45:16.000Z", nil, nil, nil, nil, "mis-1", "1", "1795855073327",
    ])
    let meta = EnvelopeMeta(scheme: "http", host: "api.example.com", path: "/api/jobs/NBXk9EyErUZv1RhXgyvgg", requestID: "Fzb3k9XaQ21")

    Benchmark("reply decode + record check + envelope: processed job, 3 links") { benchmark in
        let reader = RedisReplyReader()
        var output = ByteBuffer()
        output.reserveCapacity(4096)
        for _ in benchmark.scaledIterations {
            reader.feed(processedReply)
            try reader.drainReplies { reply in
                Fixture.answer(reply, meta: meta, into: &output)
            }
            blackHole(output.readableBytes)
            output.clear()
        }
    }

    Benchmark("reply decode + record check + envelope: pending job") { benchmark in
        let reader = RedisReplyReader()
        var output = ByteBuffer()
        output.reserveCapacity(4096)
        for _ in benchmark.scaledIterations {
            reader.feed(pendingReply)
            try reader.drainReplies { reply in
                Fixture.answer(reply, meta: meta, into: &output, caller: "mis-1")
            }
            blackHole(output.readableBytes)
            output.clear()
        }
    }

    Benchmark("reply decode only: HMGET of a processed job") { benchmark in
        let reader = RedisReplyReader()
        for _ in benchmark.scaledIterations {
            reader.feed(processedReply)
            try reader.drainReplies { reply in blackHole(reply.count) }
        }
    }

    Benchmark("envelope writer only: processed job, 3 links") { benchmark in
        var output = ByteBuffer()
        output.reserveCapacity(4096)
        let reader = RedisReplyReader()
        reader.feed(processedReply)
        try reader.drainReplies { reply in
            guard let view = Fixture.view(reply), case .found(let job) = JobReadOutcome.decide(view, caller: nil) else { return }
            var id = "NBXk9EyErUZv1RhXgyvgg"
            id.withUTF8 { id in
                for _ in benchmark.scaledIterations {
                    EnvelopeWriter.writeJob(job, id: UnsafeRawBufferPointer(id), meta: meta, into: &output)
                    blackHole(output.readableBytes)
                    output.clear()
                }
            }
        }
    }

    Benchmark("command encode: HMGET (RedisCommandEncoder)") { benchmark in
        var output = ByteBuffer()
        output.reserveCapacity(1024)
        let fields: [StaticString] = ["HMGET", "job:NBXk9EyErUZv1RhXgyvgg", "status", "eta", "status_code", "links", "response_data", "error", "owner", "version", "created_at"]
        let arguments = fields.map { UnsafeRawBufferPointer(start: $0.utf8Start, count: $0.utf8CodeUnitCount) }
        for _ in benchmark.scaledIterations {
            arguments.withUnsafeBufferPointer { RedisCommandEncoder.encode(arguments: $0, into: &output) }
            blackHole(output.readableBytes)
            output.clear()
        }
    }
}

enum Fixture {
    /// The links `scripts/bench/seed.py` writes: three, as a processed job of the bench has.
    static let links = #"[{"entity":"encounter","href":"/api/patients/3da18c10-d2ca-469e-bde5-7413201cea2/encounters/90a9e15b-b71b-4caf-8f2e-000000000001"},{"entity":"condition","href":"/api/patients/3da18c10-d2ca-469e-bde5-7413201cea2/conditions/df112200-64da-451b-bf77-000000000001"},{"entity":"observation","href":"/api/patients/3da18c10-d2ca-469e-bde5-7413201cea2/observations/d118cc02-3b9b-4d1a-b728-000000000001"}]"#

    /// The RESP bytes of an HMGET reply with these fields (nil = null bulk string).
    static func hmgetReply(_ fields: [String?]) -> ByteBuffer {
        var buffer = ByteBuffer(string: "*\(fields.count)\r\n")
        for field in fields {
            if let field {
                buffer.writeString("$\(field.utf8.count)\r\n\(field)\r\n")
            } else {
                buffer.writeString("$-1\r\n")
            }
        }
        return buffer
    }

    static func view(_ reply: RedisReply) -> JobRecordView? {
        guard reply.kind == .array, reply.count == JobRecordField.allCases.count else { return nil }
        var view = JobRecordView()
        for field in JobRecordField.allCases where reply[field.rawValue].kind == .bulkString {
            view[field] = reply[field.rawValue].bytes
        }
        return view
    }

    static func answer(_ reply: RedisReply, meta: EnvelopeMeta, into output: inout ByteBuffer, caller: String? = nil) {
        guard let view = self.view(reply) else { return }
        var caller = caller
        let outcome: JobReadOutcome
        if caller != nil {
            outcome = caller!.withUTF8 { JobReadOutcome.decide(view, caller: UnsafeRawBufferPointer($0)) }
        } else {
            outcome = JobReadOutcome.decide(view, caller: nil)
        }
        guard case .found(let job) = outcome else { return }
        var id = "NBXk9EyErUZv1RhXgyvgg"
        id.withUTF8 { EnvelopeWriter.writeJob(job, id: UnsafeRawBufferPointer($0), meta: meta, into: &output) }
    }
}
