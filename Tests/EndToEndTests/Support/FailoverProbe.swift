import Foundation
import JobStatusWriter
import NIOConcurrencyHelpers

/// What clients see of a failover: a writer loop with `--durability replicated` and pollers, at
/// once, against one front. A poll is stale when it shows a version older than one the writer
/// had had acknowledged before the poll was sent.
final class FailoverProbe: Sendable {
    struct Figures: Sendable {
        var polls = 0
        var unavailable = 0
        var firstUnavailable: ContinuousClock.Instant?
        var lastUnavailable: ContinuousClock.Instant?
        var failures: [String] = []
        var stale: [String] = []
        var acknowledgedWrites = 0
        var failedWrites = 0

        /// From the first 503 to the last one; zero without any.
        var unavailableWindow: Duration {
            guard let first = self.firstUnavailable, let last = self.lastUnavailable else { return .zero }
            return last - first
        }
    }

    let jobs: [String]
    private let front: Front
    private let writer: JobWriter
    private let stopped = NIOLockedValueBox(false)
    private let acknowledged = NIOLockedValueBox<[String: Int64]>([:])
    private let figures = NIOLockedValueBox(Figures())

    init(front: Front, writer: JobWriter, jobs: [String]) {
        self.front = front
        self.writer = writer
        self.jobs = jobs
    }

    /// The highest acknowledged version of each job.
    var acknowledgedVersions: [String: Int64] { self.acknowledged.withLockedValue { $0 } }

    /// Runs the writer and `pollers` pollers until `stop()`; returns what they saw.
    func run(pollers: Int = 3) async -> Figures {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.writeLoop() }
            for _ in 0..<pollers {
                group.addTask { await self.pollLoop() }
            }
        }
        return self.figures.withLockedValue { $0 }
    }

    func stop() {
        self.stopped.withLockedValue { $0 = true }
    }

    private var isStopped: Bool { self.stopped.withLockedValue { $0 } }

    private func writeLoop() async {
        var index = 0
        while !self.isStopped {
            let id = self.jobs[index % self.jobs.count]
            index += 1
            do {
                let result = try await self.writer.progress(id: id, eta: .after(.seconds(60 + index % 7)))
                self.acknowledged.withLockedValue { $0[id] = max($0[id] ?? 0, result.version) }
                self.figures.withLockedValue { $0.acknowledgedWrites += 1 }
            } catch {
                self.figures.withLockedValue { $0.failedWrites += 1 }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    private func pollLoop() async {
        var client: HTTPTestClient?
        while !self.isStopped {
            let id = self.jobs.randomElement()!
            let floor = self.acknowledged.withLockedValue { $0[id] ?? 0 }
            do {
                let connection = try client ?? self.front.client(timeout: .seconds(5))
                client = connection
                let response = try await connection.request("/api/jobs/\(id)", token: Tokens.owner)
                self.record(response, id: id, floor: floor)
                if response.header("Connection")?.lowercased() == "close" { client = nil }
            } catch {
                client = nil
                self.figures.withLockedValue { $0.failures.append("\(id): \(error)") }
            }
        }
    }

    private func record(_ response: HTTPTestResponse, id: String, floor: Int64) {
        let now = ContinuousClock.now
        self.figures.withLockedValue { figures in
            figures.polls += 1
            switch response.status {
            case 200:
                let version = Self.version(ofTag: response.header("ETag") ?? "") ?? -1
                if version < floor {
                    figures.stale.append("\(id): version \(version) after \(floor) was acknowledged")
                }
            case 503:
                figures.unavailable += 1
                figures.firstUnavailable = figures.firstUnavailable ?? now
                figures.lastUnavailable = now
            default:
                figures.failures.append("\(id): HTTP \(response.status)")
            }
        }
    }

    /// The version in `W/"<version>.<created_at>"`.
    static func version(ofTag tag: String) -> Int64? {
        guard let open = tag.firstIndex(of: "\"") else { return nil }
        return Int64(tag[tag.index(after: open)...].prefix { $0.isNumber })
    }
}
