import AsyncHTTPClient
import Foundation
import HTTPTypes
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// Follows jobs of a jobstatus service until they finish, the way it is meant to be polled
/// (docs/clients.md): held requests, `If-None-Match`, `Retry-After`, job lists; the 303 is the
/// result and is never followed.
///
/// ```swift
/// try await JobPoller.withPoller(serverURL: url, token: token) { poller in
///     let result = try await poller.wait(for: id, timeout: .seconds(600))
///     for try await result in poller.completions(of: ids) { … }
/// }
/// ```
///
/// Cancelling the task cancels the wait (its held request and its sleeps).
public struct JobPoller: Sendable {
    public struct Configuration: Sendable {
        /// The longest hold asked for, in seconds (the service caps it at `polling.max_wait`).
        public var maxWait: Int
        /// Failures to reach the service (or 503s) in a row that are retried.
        public var maxRetries: Int
        /// The most ids per list request (`polling.max_batch`); more are followed in batches, at once.
        public var batchSize: Int

        public init(maxWait: Int = 30, maxRetries: Int = 8, batchSize: Int = 100) {
            self.maxWait = maxWait
            self.maxRetries = maxRetries
            self.batchSize = batchSize
        }
    }

    /// The generated client (every operation of the document), with the token attached.
    public let client: Client
    public let configuration: Configuration

    /// A poller over any transport. The transport must not follow redirects: the 303 carries the
    /// result (`withPoller` sets AsyncHTTPClient up so).
    public init(
        serverURL: URL,
        token: String,
        transport: any ClientTransport,
        configuration: Configuration = .init(),
        middlewares: [any ClientMiddleware] = []
    ) {
        self.client = Client(
            serverURL: serverURL,
            transport: transport,
            middlewares: [BearerTokenMiddleware(token: token), HeaderEncodingMiddleware()] + middlewares
        )
        self.configuration = configuration
    }

    /// A poller over an AsyncHTTPClient that follows no redirect and reads as long as the longest
    /// hold, for the duration of `body`.
    @discardableResult
    public static func withPoller<Result: Sendable>(
        serverURL: URL,
        token: String,
        configuration: Configuration = .init(),
        middlewares: [any ClientMiddleware] = [],
        _ body: (JobPoller) async throws -> Result
    ) async throws -> Result {
        var settings = HTTPClient.Configuration()
        settings.redirectConfiguration = .disallow
        settings.timeout = .init(connect: .seconds(5), read: .seconds(Int64(configuration.maxWait) + 10))
        let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: settings)
        let transport = AsyncHTTPClientTransport(configuration: .init(client: httpClient, timeout: .seconds(Int64(configuration.maxWait) + 10)))
        let poller = JobPoller(serverURL: serverURL, token: token, transport: transport, configuration: configuration, middlewares: middlewares)
        do {
            let result = try await body(poller)
            try await httpClient.shutdown()
            return result
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// The job once it has finished (processed, failed, failed_with_error, or not found).
    ///
    /// Throws `JobStatusClientError.timedOut` when `timeout` passes first, `.refused` when the
    /// service refuses (401, 403, …), `.unavailable` when it cannot be reached for long.
    public func wait(for id: String, timeout: Duration? = nil) async throws -> JobResult {
        let clock = ContinuousClock()
        var machine = JobWait(id: id, timeout: timeout, maxWait: self.configuration.maxWait, maxRetries: self.configuration.maxRetries, now: clock.now)
        var action = machine.start(at: clock.now)
        while true {
            switch action {
            case .ask(let wait, let tag, _):
                let input = Operations.GetJob.Input(path: .init(id: id), headers: .init(prefer: Self.prefer(wait), ifNoneMatch: tag))
                do {
                    action = machine.answered(try WaitAnswer(try await self.client.getJob(input), id: id), at: clock.now)
                } catch {
                    action = try Self.failure(error, machine: &machine, at: clock.now)
                }
            case .sleep(let duration):
                try await Task.sleep(for: duration)
                action = machine.slept(at: clock.now)
            case .finish(let result):
                return result ?? JobResult(id: id, state: .notFound)
            case .fail(let error):
                throw error
            }
        }
    }

    /// Each listed job as it finishes, in the order they finish (an id listed twice, once).
    ///
    /// More ids than `batchSize` are followed by one held request per batch, at once. A timeout
    /// is thrown once every batch has reached it, with every listed job's last state.
    public func completions(of ids: [String], timeout: Duration? = nil) -> AsyncThrowingStream<JobResult, any Error> {
        let listed = JobListWait.distinct(ids)
        let size = max(1, self.configuration.batchSize)
        let batches = stride(from: 0, to: listed.count, by: size).map { Array(listed[$0..<min($0 + size, listed.count)]) }
        return AsyncThrowingStream { continuation in
            if let unlistable = listed.first(where: { $0.isEmpty || $0.contains(",") }) {
                continuation.finish(throwing: JobStatusClientError.unlistable(id: unlistable))
                return
            }
            let task = Task {
                do {
                    let last = try await withThrowingTaskGroup(of: [JobResult]?.self) { group in
                        for batch in batches {
                            group.addTask {
                                do {
                                    try await self.follow(batch, timeout: timeout) { continuation.yield($0) }
                                    return nil
                                } catch JobStatusClientError.timedOut(let last) {
                                    // The batches share the deadline: the others end by it too.
                                    return last
                                }
                            }
                        }
                        var timedOut: [JobResult]?
                        for try await last in group where last != nil {
                            timedOut = (timedOut ?? []) + last!
                        }
                        return timedOut
                    }
                    if let last {
                        let order = Dictionary(uniqueKeysWithValues: listed.enumerated().map { ($1, $0) })
                        throw JobStatusClientError.timedOut(last: last.sorted { order[$0.id, default: 0] < order[$1.id, default: 0] })
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Every listed job once all have finished, in the order listed.
    public func waitAll(_ ids: [String], timeout: Duration? = nil) async throws -> [JobResult] {
        var finished: [String: JobResult] = [:]
        for try await result in self.completions(of: ids, timeout: timeout) {
            finished[result.id] = result
        }
        return JobListWait.distinct(ids).compactMap { finished[$0] }
    }

    private func follow(_ ids: [String], timeout: Duration?, yield: (JobResult) -> Void) async throws {
        let clock = ContinuousClock()
        var machine = JobListWait(ids: ids, timeout: timeout, maxWait: self.configuration.maxWait, maxRetries: self.configuration.maxRetries, now: clock.now)
        var action = machine.start(at: clock.now)
        while true {
            switch action {
            case .ask(let wait, let tag, let remaining):
                let input = Operations.ListJobs.Input(query: .init(ids: remaining), headers: .init(prefer: Self.prefer(wait), ifNoneMatch: tag))
                do {
                    action = machine.answered(try WaitAnswer(try await self.client.listJobs(input)), at: clock.now)
                } catch {
                    action = try Self.failure(error, machine: &machine, at: clock.now)
                }
                machine.takeFinished().forEach(yield)
            case .sleep(let duration):
                try await Task.sleep(for: duration)
                action = machine.slept(at: clock.now)
            case .finish:
                return
            case .fail(let error):
                throw error
            }
        }
    }

    private static func prefer(_ wait: Int) -> String? {
        wait > 0 ? "wait=\(wait)" : nil
    }

    /// A request that ended without an answer the generated code could read: cancellation ends
    /// the wait; no answer at all is a failure to reach the service; an unreadable 429, or 502–504
    /// (a proxy's page), is read by its status and `Retry-After` alone; any other is a refusal.
    private static func failure(_ error: any Error, machine: inout some WaitMachine, at now: ContinuousClock.Instant) throws -> WaitAction {
        if error is CancellationError || Task.isCancelled { throw CancellationError() }
        guard let clientError = error as? ClientError, let response = clientError.response else {
            return machine.unreachable("\(error)", at: now)
        }
        let status = response.status.code
        let retryAfter = response.headerFields[.retryAfter].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        if status == 429 {
            return machine.answered(.throttled(retryAfter: retryAfter), at: now)
        }
        if (502...504).contains(status) {
            return machine.answered(.unavailable(status: status, retryAfter: retryAfter), at: now)
        }
        return machine.answered(.refused(status: status, type: nil, message: "the \(status) answer does not match the API document: \(clientError.underlyingError)"), at: now)
    }
}
