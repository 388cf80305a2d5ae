/// Why `HTTPRequestParser` refused a connection's bytes. Every refusal ends the connection: once
/// its framing is in doubt, no later byte can be trusted to start a request (request smuggling).
enum HTTPRequestRefusal: Error, Equatable, CustomStringConvertible {
    /// The request line is not `method SP request-target SP HTTP-version`: a method that is no
    /// token, a blank too many, a target with a control, a blank or a byte outside ASCII.
    case requestLine
    /// A version other than HTTP/1.0 and HTTP/1.1.
    case version
    /// A line ended by LF alone, or a CR that no LF follows.
    case lineEnding
    /// A header line that is not `name ":" value`: no colon, a blank before it, a name that is no
    /// token, a control in the value, or a line folded onto the one before (obs-fold).
    case headerLine
    /// A `Content-Length` that is not one decimal number, or more than one.
    case contentLength
    /// A `Transfer-Encoding` whose last coding is not `chunked`, or one beside a `Content-Length`.
    case transferEncoding
    /// A chunked body whose chunk size, extension, chunk end or trailer is malformed.
    case chunk
    /// The head (or a chunked body's trailer) is larger than `http.max_header_size`.
    case headTooLarge

    /// The answer the connection gives before it closes.
    var apiError: APIError {
        self == .headTooLarge ? .headersTooLarge : .malformedRequest
    }

    var description: String {
        switch self {
        case .requestLine: "malformed request line"
        case .version: "unsupported HTTP version"
        case .lineEnding: "line not ended by CRLF"
        case .headerLine: "malformed header line"
        case .contentLength: "invalid Content-Length"
        case .transferEncoding: "invalid Transfer-Encoding"
        case .chunk: "malformed chunked body"
        case .headTooLarge: "head larger than http.max_header_size"
        }
    }
}
