import Foundation
import JobStatusWriter
import NIOConcurrencyHelpers
import RedisWire
import Testing

extension LoadTests {
    /// The subscriber connection under fire while long polls keep arriving.
    @Suite("Subscriber churn")
    struct SubscriberChurn {
        // A waiter keeps waiting through a lost subscription (it re-checks its job once the
        // subscription is made again) instead of answering at the loss, so the front holds every
        // long poll to its deadline — rate × wait of them — and each kill re-subscribes and
        // re-checks them all. 500 a second with 2-s waits, killed every 0.5 s: each long poll lives
        // through four kills.
        @Test("the subscriber connection is killed every 0.5 s while 500 long polls a second arrive: every one is answered by its deadline, no subscription is left")
        func subscriberChurn() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("subscriber-churn", front: ["LIMITS_MAX_WAITERS_PER_CLIENT": "100000"])
            let wait = 2
            let perSecond = 500
            let perTick = perSecond / 20
            let seconds = 10
            let ids = (0..<(perSecond * seconds)).map { _ in uniqueID("c") }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for slice in stride(from: 0, to: ids.count, by: 500) {
                    let batch = ids[slice..<min(slice + 500, ids.count)]
                    group.addTask { for id in batch { _ = try await writer.create(id: id, owner: "mis-1") } }
                }
                try await group.waitForAll()
            }

            let answers = NIOLockedValueBox<[HTTPLoad.Answer]>([])
            let kills = NIOLockedValueBox(0)
            let started = ContinuousClock.now
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while ContinuousClock.now - started < .seconds(seconds) {
                        try? await Task.sleep(for: .milliseconds(500))
                        _ = try? await redis.command(["CLIENT", "KILL", "TYPE", "pubsub"])
                        kills.withLockedValue { $0 += 1 }
                    }
                }
                // `perTick` long polls every 50 ms, each on its own job.
                for (tick, batch) in stride(from: 0, to: ids.count, by: perTick).enumerated() {
                    let due = started + .milliseconds(50 * tick)
                    if due > ContinuousClock.now { try? await Task.sleep(until: due) }
                    for id in ids[batch..<min(batch + perTick, ids.count)] {
                        let request = HTTPTestClient.requestText("/api/jobs/\(id)?wait=\(wait)", token: Tokens.owner)
                        let port = front.port
                        group.addTask {
                            let answer = await HTTPLoad.send(request, port: port)
                            answers.withLockedValue { $0.append(answer) }
                        }
                    }
                }
                await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            let all = answers.withLockedValue { $0 }
            let byStatus = Dictionary(grouping: all.filter(\.connected), by: \.status).mapValues(\.count)
            let unconnected = all.filter { !$0.connected }.count
            let times = all.filter(\.connected).map(\.elapsed).sorted()
            var leftover: Int64 = -1
            _ = await eventually(timeout: .seconds(10)) {
                var total: Int64 = 0
                for slice in stride(from: 0, to: ids.count, by: 1000) {
                    let channels = ids[slice..<min(slice + 1000, ids.count)].map { "job:\($0)" }
                    let counts = (try? await redis.command(["PUBSUB", "NUMSUB"] + channels).array) ?? []
                    total += stride(from: 1, to: counts.count, by: 2).reduce(0) { $0 + (counts[$1].integer ?? 0) }
                }
                leftover = total
                return total == 0
            }
            print(
                "subscriber killed \(kills.withLockedValue { $0 }) times in \(seconds) s under \(all.count) long polls (wait=\(wait)) in \(elapsed): "
                    + "by status \(byStatus.sorted { $0.key < $1.key }), answer time p50 \(times[times.count / 2]), "
                    + "p99 \(times[times.count * 99 / 100]), max \(times.last!); subscriptions left: \(leftover); "
                    + "\(unconnected) requests never sent (no connection after three tries on the loaded machine)"
            )
            #expect(all.count == ids.count)
            #expect(byStatus[0] == nil, "every long poll sent is answered")
            #expect(unconnected * 100 <= ids.count, "at most 1 % could not connect")
            #expect(times.last! <= .seconds(wait + 2), "within its wait + 2 s")
            #expect(leftover == 0)
            await PrivateEnvironment.stop(redis, front, writer)
        }
    }
}
