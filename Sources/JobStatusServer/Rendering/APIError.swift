import JobStatusCore

/// Every error the front answers with: status, `error.type` and `error.message`.
///
/// This is the catalogue `docs/api.md` lists; the texts of the authorization errors are the live
/// eHealth system's, word for word.
struct APIError {
    let status: ResponseStatus
    let type: StaticString
    let message: String
    var invalid: InvalidEntry?

    static let jobNotFound = APIError(status: .notFound, type: "not_found", message: "Job not found")
    static let routeNotFound = APIError(status: .notFound, type: "not_found", message: "Route not found")
    static let missingBearerToken = APIError(
        status: .unauthorized,
        type: "access_denied",
        message: "Authorization header is not set or doesn't contain Bearer token"
    )
    static let invalidToken = APIError(status: .unauthorized, type: "access_denied", message: "Invalid access token")
    static let missingScope = APIError(
        status: .forbidden,
        type: "forbidden",
        message: "Your scope does not allow to access this resource. Missing allowances: job:read"
    )
    static let malformedRequest = APIError(
        status: .badRequest,
        type: "bad_request",
        message: "The request is not valid HTTP/1.1"
    )
    static let missingHost = APIError(
        status: .badRequest,
        type: "bad_request",
        message: "An HTTP/1.1 request needs exactly one Host header"
    )
    static let ambiguousGatewayHeaders = APIError(
        status: .badRequest,
        type: "bad_request",
        message: "A request through the API gateway needs exactly one X-Consumer-ID and one X-Custom-PSK"
    )
    static let headersTooLarge = APIError(
        status: .requestHeaderFieldsTooLarge,
        type: "request_header_fields_too_large",
        message: "The request line and headers are too large"
    )
    static let internalError = APIError(
        status: .internalServerError,
        type: "internal_error",
        message: "The job record could not be read"
    )
    static let serviceUnavailable = APIError(
        status: .serviceUnavailable,
        type: "service_unavailable",
        message: "The job store is temporarily unavailable; retry later"
    )

    /// The API's text of every `validation_failed` error.
    private static let validationMessage =
        "Validation failed. You can find validators description at our API Manifest: http://docs.apimanifest.apiary.io/#introduction/interacting"

    static let invalidWait = APIError(
        status: .unprocessableContent,
        type: "validation_failed",
        message: Self.validationMessage,
        invalid: InvalidEntry(
            entryType: "query_parameter",
            entry: "wait",
            rule: "number",
            description: "must be a non-negative integer (seconds)"
        )
    )
    /// A job list without ids (`/api/jobs`, `?ids=`).
    static let missingListedIDs = Self.invalidListedIDs(rule: "required", description: "must list at least one job id, separated by commas")

    /// A job list with more ids than `polling.max_batch`.
    static func tooManyListedIDs(max: Int) -> APIError {
        Self.invalidListedIDs(rule: "length", description: "must list at most \(max) distinct job ids, in at most \(2 * max) elements")
    }

    private static func invalidListedIDs(rule: StaticString, description: String) -> APIError {
        APIError(
            status: .unprocessableContent,
            type: "validation_failed",
            message: Self.validationMessage,
            invalid: InvalidEntry(entryType: "query_parameter", entry: "ids", rule: rule, description: description)
        )
    }

    static let notAcceptable = APIError(
        status: .notAcceptable,
        type: "not_acceptable",
        message: "This resource is a text/event-stream; the Accept header does not allow it"
    )

    static let tooManyRequests = APIError(
        status: .tooManyRequests,
        type: "too_many_requests",
        message: "Too many requests from this client; retry after the time in Retry-After"
    )
    static let tooManyWaiters = APIError(
        status: .tooManyRequests,
        type: "too_many_requests",
        message: "This client already holds the most waiting requests allowed; retry after the time in Retry-After"
    )

    static func methodNotAllowed(_ method: String) -> APIError {
        APIError(
            status: .methodNotAllowed,
            type: "method_not_allowed",
            message: "Method \(method) is not allowed here; use GET or HEAD"
        )
    }

    static let missingGatewayCredentials = APIError(
        status: .unauthorized,
        type: "access_denied",
        message: "The request did not come through the API gateway"
    )

    static let keysUnavailable = APIError(
        status: .serviceUnavailable,
        type: "service_unavailable",
        message: "The token signing keys are not available yet; retry later"
    )

    static func denied(_ failure: AuthorizationFailure) -> APIError {
        switch failure {
        case .missingBearerToken: .missingBearerToken
        case .invalidToken: .invalidToken
        case .missingScope: .missingScope
        case .missingGatewayCredentials: .missingGatewayCredentials
        case .keysUnavailable: .keysUnavailable
        }
    }
}
