import OpenAPIRuntime

/// The generated operations' outputs as the waiting machines read them.
extension WaitAnswer {
    static func held(_ preferenceApplied: String?) -> Bool {
        preferenceApplied.map { $0.trimmingCharacters(in: .whitespaces) != "wait=0" } ?? false
    }

    init(_ output: Operations.GetJob.Output, id: String) throws {
        switch output {
        case .ok(let ok):
            let state: JobResult.State =
                switch try ok.body.json.data {
                case .PendingJob(let job): .pending(job)
                case .ProcessedJobWithData(let job): .processedWithData(job)
                case .FailedJob(let job): .failed(job)
                case .FailedWithErrorJob(let job): .failedWithError(job)
                }
            self = .job(JobResult(id: id, state: state, etag: ok.headers.eTag), held: Self.held(ok.headers.preferenceApplied), retryAfter: ok.headers.retryAfter)
        case .seeOther(let seeOther):
            let job = try seeOther.body.json.data.value1
            self = .job(JobResult(id: id, state: .processedWithLinks(job), etag: seeOther.headers.eTag), held: Self.held(seeOther.headers.preferenceApplied), retryAfter: seeOther.headers.retryAfter)
        case .notModified(let notModified):
            self = .notModified(held: Self.held(notModified.headers.preferenceApplied), retryAfter: notModified.headers.retryAfter)
        case .notFound:
            self = .notFound
        case .tooManyRequests(let throttled):
            self = .throttled(retryAfter: throttled.headers.retryAfter)
        case .serviceUnavailable(let unavailable):
            self = .unavailable(status: 503, retryAfter: unavailable.headers.retryAfter)
        case .badRequest(let answer): self = try .refused(400, answer.body.json)
        case .unauthorized(let answer): self = try .refused(401, answer.body.json)
        case .forbidden(let answer): self = try .refused(403, answer.body.json)
        case .requestHeaderFieldsTooLarge(let answer): self = try .refused(431, answer.body.json)
        case .internalServerError(let answer): self = try .refused(500, answer.body.json)
        case .unprocessableContent(let answer):
            let error = try answer.body.json.error
            self = .refused(status: 422, type: error._type, message: error.message)
        case .undocumented(let status, _):
            self = .undocumented(status)
        }
    }

    init(_ output: Operations.ListJobs.Output) throws {
        switch output {
        case .ok(let ok):
            let results = try ok.body.json.data.map(JobResult.init(listed:))
            self = .list(results, tag: ok.headers.eTag, held: Self.held(ok.headers.preferenceApplied), retryAfter: ok.headers.retryAfter)
        case .tooManyRequests(let throttled):
            self = .throttled(retryAfter: throttled.headers.retryAfter)
        case .serviceUnavailable(let unavailable):
            self = .unavailable(status: 503, retryAfter: unavailable.headers.retryAfter)
        case .notModified(let notModified):
            self = .notModified(held: Self.held(notModified.headers.preferenceApplied), retryAfter: notModified.headers.retryAfter)
        case .badRequest(let answer): self = try .refused(400, answer.body.json)
        case .unauthorized(let answer): self = try .refused(401, answer.body.json)
        case .forbidden(let answer): self = try .refused(403, answer.body.json)
        case .requestHeaderFieldsTooLarge(let answer): self = try .refused(431, answer.body.json)
        case .unprocessableContent(let answer):
            let error = try answer.body.json.error
            self = .refused(status: 422, type: error._type, message: error.message)
        case .undocumented(let status, _):
            self = .undocumented(status)
        }
    }

    private static func refused(_ status: Int, _ envelope: Components.Schemas.ErrorEnvelope) -> WaitAnswer {
        .refused(status: status, type: envelope.error._type, message: envelope.error.message)
    }

    /// A status the document does not list here: a load balancer's 502 or 504 is an outage.
    static func undocumented(_ status: Int) -> WaitAnswer {
        if (502...504).contains(status) { return .unavailable(status: status, retryAfter: nil) }
        return .refused(status: status, type: nil, message: "the service answered \(status), which the API does not document here")
    }
}

extension JobResult {
    /// A list item as the result a single poll of that job would give.
    init(listed item: Components.Schemas.JobListItem) {
        switch item {
        case .ListedPendingJob(let job): self.init(id: job.value1.id, state: .pending(job.value2))
        case .ListedProcessedJobWithLinks(let job): self.init(id: job.value1.id, state: .processedWithLinks(job.value2))
        case .ListedProcessedJobWithData(let job): self.init(id: job.value1.id, state: .processedWithData(job.value2))
        case .ListedFailedJob(let job): self.init(id: job.value1.id, state: .failed(job.value2))
        case .ListedFailedWithErrorJob(let job): self.init(id: job.value1.id, state: .failedWithError(job.value2))
        case .MissingJob(let missing): self.init(id: missing.id, state: missing.status == .notFound ? .notFound : .broken)
        }
    }
}
