public import Foundation

/// `auth.jwt.jwks_url`, checked: the keys that decide who may read jobs are fetched over TLS, or
/// over plain HTTP only from this machine (a sidecar that terminates TLS, a test's own server),
/// where nobody on the network can replace them.
public struct JWKSURL: Sendable, Equatable, CustomStringConvertible {
    public let url: URL

    /// Nil unless `text` is an absolute https URL, or an http URL whose host is a loopback address.
    public init?(_ text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
            let url = components.url
        else { return nil }
        switch scheme {
        case "https":
            break
        case "http" where Self.loopbackHosts.contains(host.lowercased()):
            break
        default:
            return nil
        }
        self.url = url
    }

    public var description: String { self.url.absoluteString }

    /// An IPv6 literal's host may come with its brackets or without, by Foundation's version.
    private static let loopbackHosts: Set<String> = ["127.0.0.1", "::1", "[::1]", "localhost"]
}
