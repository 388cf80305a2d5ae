/// What a request URI asks for.
///
/// Only the path decides the route; the query is kept for the handlers that read it. The `jobs`
/// segment is matched case-insensitively because the API's own documentation links to
/// `/Jobs/<id>`. The id is returned as received and validated by the caller.
struct RequestTarget {
    enum Route: Equatable {
        case job(id: Substring)
        case healthLive
        case healthReady
        case unknown
    }

    /// The path, without query: what `meta.url` repeats.
    let path: Substring
    let route: Route

    init(uri: String) {
        var path = uri[...]
        // Absolute form (`GET http://host/path`), as some proxies send it.
        if path.utf8.first != UInt8(ascii: "/"), let schemeEnd = path.firstRange(of: "://") {
            let afterAuthority = path[schemeEnd.upperBound...].firstIndex(of: "/")
            path = afterAuthority.map { path[$0...] } ?? "/"
        }
        if let query = path.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            path = path[..<query]
        }
        self.path = path
        self.route = Self.route(for: path)
    }

    private static func route(for path: Substring) -> Route {
        switch path {
        case "/health/live": return .healthLive
        case "/health/ready": return .healthReady
        default: break
        }
        var rest = path
        if rest.hasPrefix("/api/") {
            rest = rest.dropFirst(5)
        } else if rest.hasPrefix("/") {
            rest = rest.dropFirst()
        } else {
            return .unknown
        }
        guard let slash = rest.firstIndex(of: "/") else { return .unknown }
        let collection = rest[..<slash]
        guard collection.utf8.count == 4, collection.lowercased() == "jobs" else { return .unknown }
        let id = rest[rest.index(after: slash)...]
        guard !id.contains("/") else { return .unknown }
        return .job(id: id)
    }
}
