/// Where one Redis server listens: a node of a Redis Cluster as `CLUSTER SLOTS` and redirections
/// name it, or a primary or replica as Redis Sentinel names it.
public struct RedisNode: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses the `host:port` of a `MOVED`/`ASK` redirection (IPv6 hosts included).
    init?(redirection text: Substring) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        self.init(host: String(host), port: port)
    }

    public var description: String { "\(self.host):\(self.port)" }
}
