import OpenAPIRuntime

/// A job as the service last answered it, with its `data` typed by the document's schemas.
///
/// The same shape whether it came from a single poll or from a job list.
public struct JobResult: Sendable, Hashable {
    /// The job's state: one of the document's five job schemas, or an id with no job to show.
    public enum State: Sendable, Hashable {
        case pending(Components.Schemas.PendingJob)
        /// Processed, with links to what the job created (the 303, never followed).
        case processedWithLinks(Components.Schemas.ProcessedJobWithLinks)
        /// Processed, with the job's inline result.
        case processedWithData(Components.Schemas.ProcessedJobWithData)
        case failed(Components.Schemas.FailedJob)
        case failedWithError(Components.Schemas.FailedWithErrorJob)
        /// Unknown, expired, or another client's job: the service does not say which.
        case notFound
        /// A list item whose record breaks the record contract (a single poll answers 500).
        case broken
    }

    public let id: String
    public let state: State
    /// The `ETag` of the answer, when it had one.
    public let etag: String?

    public init(id: String, state: State, etag: String? = nil) {
        self.id = id
        self.state = state
        self.etag = etag
    }

    /// Whether asking again can change the answer: every state but pending is final.
    public var isFinished: Bool {
        if case .pending = self.state { return false }
        return true
    }

    /// What a processed job created; empty otherwise.
    public var links: [Components.Schemas.Link] {
        if case .processedWithLinks(let job) = self.state { return job.links }
        return []
    }

    /// A processed job's inline result (any JSON value), or nil.
    public var responseData: OpenAPIValueContainer? {
        if case .processedWithData(let job) = self.state { return job.responseData }
        return nil
    }

    /// The job's own HTTP status (not the poll's), once it has one.
    public var statusCode: Int? {
        switch self.state {
        case .processedWithLinks(let job): Int(job.statusCode)
        case .processedWithData(let job): Int(job.statusCode)
        case .failed(let job): Int(job.statusCode)
        case .failedWithError: 500
        case .pending, .notFound, .broken: nil
        }
    }
}
