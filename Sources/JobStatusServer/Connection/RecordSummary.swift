import JobStatusCore

/// What the record (or list) just read says, as far as the connection's protocol cares: the
/// machine decides from this, and passes the read itself on to the answer untouched.
enum RecordSummary: Equatable {
    case job(pending: Bool, version: Int64?)
    /// `If-None-Match` named the current state.
    case unchanged(pending: Bool)
    case missing
    case broken
}

extension RecordSummary {
    /// The version read, when it is one job's and numeric.
    var version: Int64? {
        if case .job(_, let version) = self { return version }
        return nil
    }

    /// Whether a long poll should wait: the job is pending and the client has nothing older than
    /// this state (it sent no tag, or the tag of this very state). A client whose tag is stale is
    /// behind and gets the current state at once.
    func hasNothingNew(conditional: Bool) -> Bool {
        switch self {
        case .job(let pending, _): pending && !conditional
        case .unchanged(let pending): pending
        case .missing, .broken: false
        }
    }

    init(_ outcome: JobReadOutcome) {
        switch outcome {
        case .found(let job): self = .job(pending: job.status == .pending, version: job.tag?.versionNumber)
        case .notModified(let status, _, _): self = .unchanged(pending: status == .pending)
        case .notFound: self = .missing
        case .contractViolation: self = .broken
        }
    }
}
