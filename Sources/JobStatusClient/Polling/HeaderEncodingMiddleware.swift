import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Sends the API's request headers as HTTP has them, not percent-encoded.
///
/// The generated code percent-encodes header parameters (OpenAPI 3.1.0's reading of RFC 6570;
/// swift-openapi-generator issue 857, open): `Prefer: wait=30` leaves as `wait%3D30`, which the
/// service does not read (RFC 7240), so the request is not held; an `ETag` sent back as
/// `If-None-Match` would not match. OpenAPI 3.1.1 and later say header values are not encoded;
/// this undoes the encoding for the headers the document defines.
struct HeaderEncodingMiddleware: ClientMiddleware {
    static let fields: [HTTPField.Name] = [
        HTTPField.Name("Prefer")!, .ifNoneMatch, HTTPField.Name("X-Request-ID")!, HTTPField.Name("Last-Event-ID")!,
    ]

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        baseURL: URL,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        for name in Self.fields {
            if let value = request.headerFields[name], let decoded = value.removingPercentEncoding {
                request.headerFields[name] = decoded
            }
        }
        return try await next(request, body, baseURL)
    }
}
