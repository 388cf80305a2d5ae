/// The HTTP statuses the front answers with, each with its status line.
enum ResponseStatus: Int {
    case ok = 200
    case seeOther = 303
    case notModified = 304
    case badRequest = 400
    case unauthorized = 401
    case forbidden = 403
    case notFound = 404
    case methodNotAllowed = 405
    case notAcceptable = 406
    case unprocessableContent = 422
    case tooManyRequests = 429
    case requestHeaderFieldsTooLarge = 431
    case internalServerError = 500
    case serviceUnavailable = 503

    var code: Int { self.rawValue }

    var statusLine: StaticString {
        switch self {
        case .ok: "HTTP/1.1 200 OK\r\n"
        case .seeOther: "HTTP/1.1 303 See Other\r\n"
        case .notModified: "HTTP/1.1 304 Not Modified\r\n"
        case .badRequest: "HTTP/1.1 400 Bad Request\r\n"
        case .unauthorized: "HTTP/1.1 401 Unauthorized\r\n"
        case .forbidden: "HTTP/1.1 403 Forbidden\r\n"
        case .notFound: "HTTP/1.1 404 Not Found\r\n"
        case .methodNotAllowed: "HTTP/1.1 405 Method Not Allowed\r\n"
        case .notAcceptable: "HTTP/1.1 406 Not Acceptable\r\n"
        case .unprocessableContent: "HTTP/1.1 422 Unprocessable Content\r\n"
        case .tooManyRequests: "HTTP/1.1 429 Too Many Requests\r\n"
        case .requestHeaderFieldsTooLarge: "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        case .internalServerError: "HTTP/1.1 500 Internal Server Error\r\n"
        case .serviceUnavailable: "HTTP/1.1 503 Service Unavailable\r\n"
        }
    }
}
