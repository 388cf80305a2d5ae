/// What a poll found, decided from the stored record before anything is written.
public enum JobReadOutcome {
    /// No record, or a record the caller does not own: both answer the same 404, so ids of
    /// other clients' jobs cannot be probed.
    case notFound
    /// A record that keeps the contract, ready to be written as an envelope.
    case found(JobReadResult)
    /// The caller's `If-None-Match` names the current state: 304, no body to check or write.
    case notModified(JobStatus, eta: StoredETA, tag: EntityTag)
    /// A record that breaks the contract; the reason is for the log, never for the client.
    case contractViolation(String)

    /// Checks the stored record against the record contract and the caller's identity.
    ///
    /// - Parameters:
    ///   - caller: the authenticated client id, or nil when authorization is disabled (then
    ///     ownership is not enforced).
    ///   - ifNoneMatch: the request's `If-None-Match` value; when it names the current state the
    ///     payload is neither checked nor written.
    public static func decide(
        _ record: JobRecordView,
        caller: UnsafeRawBufferPointer?,
        ifNoneMatch: UnsafeRawBufferPointer? = nil
    ) -> JobReadOutcome {
        guard let statusBytes = record[.status] else {
            return record.isEmpty ? .notFound : .contractViolation("the record has no status field")
        }
        if let owner = record[.owner], let caller, !Self.constantTimeEqual(owner, caller) {
            return .notFound
        }
        guard let status = JobStatus(bytes: statusBytes) else {
            return .contractViolation("unknown status")
        }
        guard let etaText = record[.eta], !etaText.isEmpty else {
            return .contractViolation("the record has no eta")
        }
        guard let eta = StoredETA(etaText) else {
            return .contractViolation("eta is not an RFC 3339 timestamp")
        }
        let tag = EntityTag(version: record[.version], createdAt: record[.createdAt])
        if let tag, let ifNoneMatch, tag.matches(ifNoneMatch: ifNoneMatch) {
            return .notModified(status, eta: eta, tag: tag)
        }
        if status == .pending {
            return .found(JobReadResult(status: status, eta: eta, statusCode: nil, body: .ownLink, tag: tag))
        }
        guard let statusCode = record[.statusCode], Self.isStatusCode(statusCode, of: status) else {
            return .contractViolation("a terminal record needs a status_code of its kind: 2xx processed, 4xx or 5xx failed, 500 failed_with_error")
        }
        switch status {
        case .processed:
            if let links = record[.links] {
                guard let firstHref = JSONScanner.firstLinkHref(links) else {
                    return .contractViolation("links is not an array of {entity, href} objects")
                }
                return .found(
                    JobReadResult(status: status, eta: eta, statusCode: statusCode, body: .links(links, firstHref: firstHref), tag: tag)
                )
            }
            if let responseData = record[.responseData] {
                guard JSONScanner.validate(responseData) != nil else {
                    return .contractViolation("response_data is not valid JSON")
                }
                return .found(
                    JobReadResult(status: status, eta: eta, statusCode: statusCode, body: .responseData(responseData), tag: tag)
                )
            }
            return .contractViolation("a processed record needs links or response_data")
        case .failed, .failedWithError:
            guard let error = record[.error] else {
                return .contractViolation("a failed record needs an error")
            }
            // A 422 is the validation object of the API, with its invalid array.
            let isValidation = statusCode.equals("422")
            let isErrorText = status == .failed && !isValidation && JSONScanner.validate(error) == .string
            guard isErrorText || JSONScanner.isErrorObject(error, requiringInvalid: isValidation) else {
                return .contractViolation("error is not a JSON string (failed only, not 422) or a {type, message[, invalid]} object (422: with invalid)")
            }
            return .found(JobReadResult(status: status, eta: eta, statusCode: statusCode, body: .error(error), tag: tag))
        case .pending:
            preconditionFailure("handled above")
        }
    }

    /// Three digits in the range the record contract gives `status`.
    private static func isStatusCode(_ bytes: UnsafeRawBufferPointer, of status: JobStatus) -> Bool {
        guard bytes.count == 3, bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return false }
        switch status {
        case .processed: return bytes[0] == UInt8(ascii: "2")
        case .failed: return bytes[0] == UInt8(ascii: "4") || bytes[0] == UInt8(ascii: "5")
        case .failedWithError: return bytes.equals("500")
        case .pending: return false
        }
    }

    private static func constantTimeEqual(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<lhs.count {
            difference |= lhs[index] ^ rhs[index]
        }
        return difference == 0
    }
}

/// A record that passed `JobReadOutcome.decide`, with the HTTP status it answers.
public struct JobReadResult {
    /// What `data` carries besides `status`, `eta` and `status_code`.
    public enum Body {
        /// Pending: a link to the job itself, built from the id.
        case ownLink
        /// The stored array, and the text of its first link's `href` within it (the `Location`).
        case links(UnsafeRawBufferPointer, firstHref: UnsafeRawBufferPointer)
        case responseData(UnsafeRawBufferPointer)
        case error(UnsafeRawBufferPointer)
    }

    public let status: JobStatus
    public let eta: StoredETA
    public let statusCode: UnsafeRawBufferPointer?
    public let body: Body
    /// The state's entity tag; nil for records without a numeric version.
    public let tag: EntityTag?

    /// 303 for a processed job with links (the body still carries the envelope), 200 otherwise.
    public var httpStatus: Int {
        if case .links = self.body { return 303 }
        return 200
    }
}
