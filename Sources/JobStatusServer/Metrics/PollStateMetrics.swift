import CoreMetrics
import JobStatusCore

/// `jobstatus_polls_total{state}`: the jobs polls answered, by what they found — so an operator
/// sees how much of the traffic is clients polling jobs that are still pending, and how many ask
/// for jobs that do not exist (or are not theirs). A job list counts each of its items.
enum PollStateMetrics {
    enum State: Int, CaseIterable {
        case pending
        case processed
        case failed
        case failedWithError
        /// Unknown, expired, malformed or another client's.
        case notFound
        /// `If-None-Match` named the current state (304).
        case notModified
        /// The record breaks the contract.
        case error

        var name: String {
            switch self {
            case .pending: "pending"
            case .processed: "processed"
            case .failed: "failed"
            case .failedWithError: "failed_with_error"
            case .notFound: "not_found"
            case .notModified: "not_modified"
            case .error: "error"
            }
        }

        init(_ outcome: JobReadOutcome) {
            switch outcome {
            case .found(let job): self.init(job.status)
            case .notFound: self = .notFound
            case .notModified: self = .notModified
            case .contractViolation: self = .error
            }
        }

        init(_ status: JobStatus) {
            switch status {
            case .pending: self = .pending
            case .processed: self = .processed
            case .failed: self = .failed
            case .failedWithError: self = .failedWithError
            }
        }
    }

    /// Made once: recording is an atomic add.
    private static let counters = State.allCases.map { Counter(label: "jobstatus_polls_total", dimensions: [("state", $0.name)]) }

    /// Makes the counters now, so each state is in the first scrape (see `RedisMetrics.register`).
    static func register() {
        _ = self.counters
    }

    static func record(_ state: State, count: Int = 1) {
        self.counters[state.rawValue].increment(by: Int64(count))
    }
}
