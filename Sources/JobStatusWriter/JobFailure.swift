import JobStatusCore
/// The `error` of a failed job.
public enum JobFailure: Sendable, Equatable {
    /// A plain description, stored as a JSON string (what 403 and 404 carry).
    case message(String)
    /// A JSON object given as text, stored verbatim (409's `{type, message}`, 422's validation
    /// object with `invalid[]`).
    case json(String)

    /// The CLI rule: text that parses as a JSON object or array is that JSON, anything else is a
    /// message.
    public init(interpreting text: String) {
        switch JSONScanner.validate(text) {
        case .object, .array: self = .json(text)
        default: self = .message(text)
        }
    }
}

