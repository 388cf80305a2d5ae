import CoreMetrics
import JobStatusStore
import NIOConcurrencyHelpers
import NIOCore

/// `jobstatus_redis_ready`: 1 while every event loop of this front has its Redis connection ready
/// (in a cluster: its connection to every primary; with Sentinel: to the master), 0 otherwise.
/// Sampled every second on each loop, so an alert can tell that a front cannot reach Redis even
/// when nothing asks its `/health/ready`.
final class RedisReadinessGauge: Sendable {
    static let interval = TimeAmount.seconds(1)

    private let gauge = Gauge(label: "jobstatus_redis_ready")
    private let readiness = NIOLockedValueBox<[ObjectIdentifier: Bool]>([:])
    private let tasks = NIOLockedValueBox<[RepeatedTask]>([])

    init(group: any EventLoopGroup, stores: RedisJobStoreGroup) {
        var tasks: [RepeatedTask] = []
        for eventLoop in group.makeIterator() {
            let loop = ObjectIdentifier(eventLoop)
            tasks.append(
                eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: Self.interval) { [self] _ in
                    self.update(loop, ready: stores.store(on: eventLoop).isReady)
                }
            )
        }
        self.tasks.withLockedValue { $0 = tasks }
    }

    /// Stops sampling (before the event loops stop).
    func stop() {
        for task in self.tasks.withLockedValue({ $0 }) {
            task.cancel()
        }
    }

    private func update(_ loop: ObjectIdentifier, ready: Bool) {
        let allReady = self.readiness.withLockedValue { readiness in
            readiness[loop] = ready
            return readiness.values.allSatisfy { $0 }
        }
        self.gauge.record(allReady ? 1 : 0)
    }
}
