import Foundation
import JobStatusCore
import JobStatusTestSupport
import JobStatusWriter
import RedisWire
import Testing

extension RedisOnly {
    /// One contract, one set of vectors: every case of `Tests/Vectors/record-contract.json` runs
    /// through the write script on a real Redis, through the front's own checks of the record it would
    /// read, and through the Swift writer where it checks anything itself. All must give the vector's
    /// verdict; an accepted write must be served as the vector says, in documents no deeper than
    /// clients' parsers read, and a refused one must leave the record, its TTL and its channel exactly
    /// as they were.
    @Suite("The record contract's vectors")
    struct RecordContractVectorTests {
        static let pendingETA = "2026-06-30T10:00:00.000Z"

        @Test("every vector: the script and the Swift writer agree with it; accepted writes are served as documented, refused ones change nothing")
        func vectors() async throws {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            let vectors = try ContractVectors.load()
            let client = try await RedisClient.connect(
                configuration: RedisConnectionConfiguration(url: try RedisURL(parsing: redis.url), commandTimeout: .seconds(5)),
                on: TestEventLoop.shared,
                logger: quietLogger
            )
            let sha = try await client.send(["SCRIPT", "LOAD", WriteScript.source]).string ?? ""
            let prefix = "v\(UInt32.random(in: 0...UInt32.max))-"
            let channels = try await ChannelCounter(port: redis.port, pattern: "job:\(prefix)*")

            var problems: [String] = []
            var expectedMessages: [String: Int] = [:]
            var writerChecks = 0
            for (index, vector) in vectors.writes.enumerated() {
                let key = "job:\(prefix)\(index)"
                if vector.op != "create" {
                    _ = try await client.send(["EVALSHA", sha, "1", key, "create", "eta", Self.pendingETA])
                    expectedMessages[key, default: 0] += 1
                }
                let before = try await Self.snapshot(key, client)
                let verdict = await Self.verdict {
                    try await client.send(bytes: [Array("EVALSHA".utf8), Array(sha.utf8), Array("1".utf8), Array(key.utf8), Array(vector.op.utf8)]
                        + vector.args.flatMap { [Array($0.name.utf8), $0.value] })
                }
                if verdict != vector.verdict {
                    problems.append("\(vector.name): the script says \(verdict), the vector \(vector.verdict)")
                    continue
                }
                if vector.isAccepted {
                    expectedMessages[key, default: 0] += 1
                    problems += try await self.checkServed(vector, key: key, client: client, maximumDepth: vectors.maximumServedDepth)
                } else if !(try await Self.snapshot(key, client)).isUnchanged(from: before) {
                    problems.append("\(vector.name): refused, yet the record or its TTL changed")
                }
                if let writerSays = try await Self.writerSays(vector, writer: writer, id: "\(prefix)w\(index)") {
                    writerChecks += 1
                    if writerSays != vector.isAccepted {
                        problems.append("\(vector.name): the Swift writer \(writerSays ? "accepts" : "refuses") what the script \(vector.isAccepted ? "accepts" : "refuses")")
                    }
                }
            }
            let published = await channels.counts()
            for key in Set(published.keys).union(expectedMessages.keys) where key.hasPrefix("job:\(prefix)") && !key.hasPrefix("job:\(prefix)w") {
                if published[key, default: 0] != expectedMessages[key, default: 0] {
                    problems.append("\(key): \(published[key, default: 0]) change notifications, \(expectedMessages[key, default: 0]) expected")
                }
            }
            await client.shutdown()
            let accepted = vectors.writes.filter(\.isAccepted).count
            print(
                "record contract: \(vectors.writes.count) write vectors (\(accepted) accepted, \(vectors.writes.count - accepted) refused); "
                    + "the Swift writer compared on \(writerChecks); \(problems.count) disagreements (the front's side: RecordContractFrontTests)"
            )
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }

        /// An accepted write: the record the front reads is served, as the vector says, and neither a
        /// poll nor a job list serves it nested deeper than `maximumDepth`.
        private func checkServed(_ vector: ContractVectors.Write, key: String, client: RedisClient, maximumDepth: Int) async throws -> [String] {
            let names = JobRecordField.allCases.map { "\($0.name)" }
            let values = try await client.send(["HMGET", key] + names).array ?? []
            var fields: [JobRecordField: [UInt8]] = [:]
            for (field, value) in zip(JobRecordField.allCases, values) {
                if case .bulkString(let bytes) = value { fields[field] = bytes }
            }
            guard case .served(_, let data) = frontVerdict(fields) else {
                return ["\(vector.name): accepted by the script, but the front says \(frontVerdict(fields))"]
            }
            var problems: [String] = []
            if let eta = vector.servedETA, data["eta"] as? String != eta {
                problems.append("\(vector.name): served eta \(data["eta"] ?? "none"), the vector says \(eta)")
            }
            if let error = vector.servedError, !jsonEqual(data["error"], error) {
                problems.append("\(vector.name): served error \(data["error"] ?? "none"), the vector says \(error)")
            }
            if let depth = servedDepth(fields) {
                if depth.job > maximumDepth || depth.list > maximumDepth {
                    problems.append("\(vector.name): served nested \(depth), deeper than \(maximumDepth)")
                }
                if let expected = vector.servedDepth, depth != expected {
                    problems.append("\(vector.name): served nested \(depth), the vector says \(expected)")
                }
            }
            if let seconds = vector.ttlSeconds {
                let ttl = try await client.send(["TTL", key]).integer ?? -3
                if ttl < seconds - 5 || ttl > seconds {
                    problems.append("\(vector.name): TTL \(ttl), the vector says \(seconds)")
                }
            }
            return problems
        }

        /// What the Swift writer says, where it checks anything before the script does (or passes the
        /// text through unchanged); nil where it cannot even express the vector (bytes that are not
        /// UTF-8, TTL text that is not a plain number, links it always builds itself).
        static func writerSays(_ vector: ContractVectors.Write, writer: JobWriter, id: String) async throws -> Bool? {
            func attempt(_ write: () async throws(JobWriteError) -> JobWriteResult) async -> Bool {
                do {
                    _ = try await write()
                    return true
                } catch {
                    return false
                }
            }
            let setUp = { () async throws in _ = try await writer.create(id: id, eta: .at(Date(timeIntervalSince1970: 1_782_813_600))) }
            switch vector.op {
            case "create" where vector.args.count == 1:
                guard let text = vector.text("eta") else { return nil }
                // The writer's --eta also takes durations; the vectors never give one.
                guard let eta = JobETA(parsing: text) else { return false }
                return await attempt { () throws(JobWriteError) in try await writer.create(id: id, eta: eta) }
            case "create" where vector.args.count == 2 && vector.argument("ttl") != nil:
                guard let text = vector.text("ttl"), let seconds = Int64(text), String(seconds) == text else { return nil }
                return await attempt { () throws(JobWriteError) in try await writer.create(id: id, ttl: .seconds(seconds)) }
            case "processed" where vector.args.count == 1 && vector.argument("response_data") != nil:
                guard let text = vector.text("response_data") else { return nil }
                try await setUp()
                return await attempt { () throws(JobWriteError) in try await writer.processed(id: id, responseData: text) }
            case "failed" where vector.args.count == 2:
                guard let codeText = vector.text("status_code"), let code = Int(codeText), String(code) == codeText, let error = vector.text("error") else {
                    return nil
                }
                try await setUp()
                return await attempt { () throws(JobWriteError) in try await writer.failed(id: id, statusCode: code, error: .json(error)) }
            case "failed_with_error" where vector.args.count == 1:
                guard let message = vector.text("message") else { return nil }
                try await setUp()
                return await attempt { () throws(JobWriteError) in try await writer.failedWithError(id: id, message: message) }
            default:
                return nil
            }
        }

        /// `accepted`, or the first word of the script's error.
        static func verdict(of call: () async throws -> RESPValue) async -> String {
            do {
                let reply = try await call()
                return reply.array?.count == 2 ? "accepted" : "unexpected reply \(reply)"
            } catch let error as RedisError {
                return error.serverError?.code.name ?? "\(error)"
            } catch {
                return "\(error)"
            }
        }

        /// Every field, the TTL in seconds, and when Redis read them (its own clock, in
        /// microseconds: the test process's clock would count its own stalls — a reply handled 5 s
        /// late on a loaded machine made a TTL that ticked for 6 s look refreshed).
        struct Snapshot: CustomStringConvertible {
            let fields: [String]
            let ttl: Int64
            let takenAtMicroseconds: Int64

            /// The same record, its TTL neither refreshed nor removed (it may have ticked down, or run
            /// out in the meantime).
            func isUnchanged(from earlier: Snapshot) -> Bool {
                // The TTL ticks down by the seconds between the two reads (several on a loaded machine), plus one of rounding.
                let ticked = (self.takenAtMicroseconds - earlier.takenAtMicroseconds) / 1_000_000 + 2
                if earlier.ttl >= 0 && earlier.ttl <= ticked && self.ttl == -2 && self.fields.isEmpty { return true }
                return self.fields == earlier.fields && self.ttl <= earlier.ttl
                    && (earlier.ttl < 0 ? self.ttl == earlier.ttl : self.ttl >= earlier.ttl - ticked)
            }

            var description: String { "\(self.fields) TTL \(self.ttl)" }
        }

        /// Read in one script, so the record cannot expire between its fields and its TTL.
        static func snapshot(_ key: String, _ client: RedisClient) async throws -> Snapshot {
            let script = "local t = redis.call('TIME') return {redis.call('HGETALL', KEYS[1]), redis.call('TTL', KEYS[1]), t[1] * 1000000 + t[2]}"
            let reply = try await client.send(["EVAL", script, "1", key]).array ?? []
            return Snapshot(
                fields: (reply.first?.array ?? []).map(\.description),
                ttl: reply.count > 1 ? reply[1].integer ?? -3 : -3,
                takenAtMicroseconds: reply.last?.integer ?? 0
            )
        }
    }
}
