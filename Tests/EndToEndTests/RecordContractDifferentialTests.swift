import Foundation
import JobStatusCore
import JobStatusTestSupport
import NIOConcurrencyHelpers
import RedisWire
import Testing

extension RedisOnly {
    /// What the vectors forgot: random writes near the edges through the script on a real Redis,
    /// each followed by the front's own read of the record. An accepted write must leave a record the
    /// front serves (never a 500) with a TTL; a refused one must change nothing, notification
    /// included. Seeded (`JOBSTATUS_DIFFERENTIAL_SEED`, `JOBSTATUS_DIFFERENTIAL_WRITES`), so a failure
    /// can be replayed and become a vector.
    @Suite("The record contract, differentially")
    struct RecordContractDifferentialTests {
        @Test("20,000 random writes: every accepted one is served, every refused one changes nothing")
        func randomWrites() async throws {
            let (redis, _, _) = try await SharedEnvironment.shared.get()
            let environment = ProcessInfo.processInfo.environment
            let seed = environment["JOBSTATUS_DIFFERENTIAL_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
            let total = environment["JOBSTATUS_DIFFERENTIAL_WRITES"].flatMap(Int.init) ?? 20_000
            let workers = 8
            let prefix = "d\(seed % 1_000_000)-"
            let channels = try await ChannelCounter(port: redis.port, pattern: "job:\(prefix)*")
            let tally = NIOLockedValueBox(Tally())
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        let client = try await RedisClient.connect(
                            configuration: RedisConnectionConfiguration(url: try RedisURL(parsing: redis.url), commandTimeout: .seconds(5)),
                            on: TestEventLoop.shared,
                            logger: quietLogger
                        )
                        let sha = try await client.send(["SCRIPT", "LOAD", WriteScript.source]).string ?? ""
                        var writes = RandomWrites(seed: seed &+ UInt64(worker), keyPrefix: "job:\(prefix)\(worker)-")
                        for _ in 0..<(total / workers) {
                            let (key, op, args) = writes.next()
                            let result = try await Self.check(op: op, args: args, key: key, sha: sha, client: client)
                            writes.settled(key, op: op, accepted: result.isAccepted)
                            tally.withLockedValue { $0.add(result, op: op, args: args) }
                        }
                        await client.shutdown()
                    }
                }
                try await group.waitForAll()
            }
            let published = await channels.counts().values.reduce(0, +)
            let result = tally.withLockedValue { $0 }
            print(
                "differential: \(result.writes) random writes (seed \(seed)): \(result.accepted) accepted "
                    + "(\(result.changed) changed a record, \(published) notifications), \(result.refused) refused "
                    + "(\(result.refusedBy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))); "
                    + "by operation accepted/all: \(result.byOperation.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.0)/\($0.value.1)" }.joined(separator: ", ")); "
                    + "\(result.violations.count) contract violations; most frequent refusals: "
                    + result.rules.sorted { $0.value > $1.value }.prefix(6).map { "\($0.key)… \($0.value)" }.joined(separator: "; ")
            )
            #expect(result.writes == total / workers * workers)
            #expect(result.violations.isEmpty, "\(result.violations.prefix(10).joined(separator: "\n"))")
            #expect(published == result.changed, "one notification per change, none for refusals or repeats")
            #expect(result.accepted > result.writes / 5, "the generator must reach accepted writes too")
        }

        enum Outcome {
            case changed
            case unchanged
            /// The error code, and the rest of the message up to its first digit or quote (the rule).
            case refused(String, rule: String)
            case violation(String)

            var isAccepted: Bool {
                switch self {
                case .changed, .unchanged: true
                case .refused, .violation: false
                }
            }
        }

        struct Tally {
            var writes = 0
            var accepted = 0
            var changed = 0
            var refused = 0
            var refusedBy: [String: Int] = [:]
            var rules: [String: Int] = [:]
            var byOperation: [String: (Int, Int)] = [:]
            var violations: [String] = []

            mutating func add(_ outcome: Outcome, op: String, args: [(String, [UInt8])]) {
                self.writes += 1
                var counts = self.byOperation[op, default: (0, 0)]
                counts.1 += 1
                switch outcome {
                case .changed:
                    self.accepted += 1
                    self.changed += 1
                    counts.0 += 1
                case .unchanged:
                    self.accepted += 1
                    counts.0 += 1
                case .refused(let code, let rule):
                    self.refused += 1
                    self.refusedBy[code, default: 0] += 1
                    self.rules["\(code) \(rule)", default: 0] += 1
                case .violation(let what):
                    let shown = args.map { "\($0.0)=\(String(decoding: $0.1, as: UTF8.self).debugDescription) \($0.1.map { String($0, radix: 16) })" }
                    self.violations.append("\(op) \(shown.joined(separator: " ")): \(what)")
                }
                self.byOperation[op] = counts
            }
        }

        static func check(op: String, args: [(String, [UInt8])], key: String, sha: String, client: RedisClient) async throws -> Outcome {
            let before = try await RecordContractVectorTests.snapshot(key, client)
            let reply: RESPValue
            do {
                reply = try await client.send(bytes: [Array("EVALSHA".utf8), Array(sha.utf8), Array("1".utf8), Array(key.utf8), Array(op.utf8)]
                    + args.flatMap { [Array($0.0.utf8), $0.1] })
            } catch let error as RedisError {
                guard let code = error.serverError?.code.name, ["INVALID", "TOOLARGE", "EXISTS", "NOTFOUND", "REFUSED"].contains(code) else {
                    return .violation("the script failed: \(error)")
                }
                let after = try await RecordContractVectorTests.snapshot(key, client)
                let rule = String(error.description.dropFirst(code.count + 1).prefix { !$0.isNumber && $0 != "\"" && $0 != "j" }.prefix(48))
                return after.isUnchanged(from: before) ? .refused(String(code), rule: rule) : .violation("refused (\(code)) but the record changed: \(before) -> \(after)")
            }
            guard let outcome = reply.array?.last?.string else { return .violation("unexpected reply \(reply)") }
            let names = JobRecordField.allCases.map { "\($0.name)" }
            let values = try await client.send(["HMGET", key] + names).array ?? []
            var fields: [JobRecordField: [UInt8]] = [:]
            for (field, value) in zip(JobRecordField.allCases, values) {
                if case .bulkString(let bytes) = value { fields[field] = bytes }
            }
            let verdict = frontVerdict(fields)
            // A record accepted with a TTL of a second or two may be gone by the time it is read back
            // on a loaded machine: that is the TTL working, not a broken record.
            let shortTTL = args.first { $0.0 == "ttl" }.flatMap { Int(String(decoding: $0.1, as: UTF8.self)) }.map { $0 <= 2 } ?? false
            if shortTTL && fields.isEmpty, try await client.send(["EXISTS", key]).integer == 0 {
                return outcome == "unchanged" ? .unchanged : .changed
            }
            guard verdict.isServed else { return .violation("accepted (\(outcome)) but the front says \(verdict)") }
            // -1: a record without a TTL, which the contract never allows (0 and -2: it is running out).
            let ttl = try await client.send(["TTL", key]).integer ?? -3
            guard ttl != -1 else { return .violation("accepted (\(outcome)) but the record has no TTL") }
            if outcome == "unchanged" {
                let after = try await RecordContractVectorTests.snapshot(key, client)
                return after.isUnchanged(from: before) ? .unchanged : .violation("an unchanged repeat changed the record")
            }
            return .changed
        }
    }
}
