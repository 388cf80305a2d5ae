/// Where a Redis server is and how to log in to it:
/// `redis://[user[:password]@]host[:port][/db]`, or `rediss://…` for TLS.
///
/// Parsed once at start-up so that a typo is reported with the offending part, before any
/// connection is attempted. Percent-escapes are decoded in the user and password.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String?
    public var password: String?
    public var database: Int
    /// `rediss://`: the connection speaks TLS (how, `RedisTLSConfiguration` says).
    public var tls: Bool

    public static let defaultPort = 6379

    public init(
        host: String,
        port: Int = RedisURL.defaultPort,
        user: String? = nil,
        password: String? = nil,
        database: Int = 0,
        tls: Bool = false
    ) {
        self.tls = tls
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    public init(parsing text: String) throws(RedisURLError) {
        guard let schemeEnd = text.firstRange(of: "://") else {
            throw .invalid(text, "expected redis://[user[:password]@]host[:port][/db] (rediss:// for TLS)")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "redis" || scheme == "rediss" else {
            throw .invalid(text, "the scheme must be redis:// or rediss:// (TLS)")
        }
        var rest = text[schemeEnd.upperBound...]
        var user: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = try Self.percentDecoded(credentials[..<colon], in: text)
                password = try Self.percentDecoded(credentials[credentials.index(after: colon)...], in: text)
            } else {
                user = try Self.percentDecoded(credentials, in: text)
            }
            if user?.isEmpty == true { user = nil }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else {
                    throw .invalid(text, "the database after / must be a non-negative integer")
                }
                database = number
            }
        }
        var host = String(rest)
        var port = Self.defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .invalid(text, "unterminated IPv6 address") }
            let after = host[host.index(after: close)...]
            let address = String(host[host.index(after: host.startIndex)..<close])
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else {
                    throw .invalid(text, "the port must be a number")
                }
                port = number
            }
            host = address
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]) else {
                throw .invalid(text, "the port must be a number")
            }
            port = number
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw .invalid(text, "the host is missing") }
        guard (1...65535).contains(port) else { throw .invalid(text, "the port must be between 1 and 65535") }
        self.init(host: host, port: port, user: user, password: password, database: database, tls: scheme == "rediss")
    }

    /// Whether `host` is an IPv4 or IPv6 address rather than a name.
    public var hostIsAddress: Bool {
        if self.host.contains(":") { return true }
        let parts = self.host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in UInt8(part) != nil }
    }

    /// The URL with the password masked, for logs and error messages.
    public var description: String {
        var credentials = ""
        if let user { credentials = user }
        if self.password != nil { credentials += ":***" }
        if !credentials.isEmpty { credentials += "@" }
        let hostPart = self.host.contains(":") ? "[\(self.host)]" : self.host
        let databasePart = self.database == 0 ? "" : "/\(self.database)"
        return "\(self.tls ? "rediss" : "redis")://\(credentials)\(hostPart):\(self.port)\(databasePart)"
    }

    private static func percentDecoded(_ part: Substring, in text: String) throws(RedisURLError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(part.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else {
                throw .invalid(text, "bad percent-escape in the credentials")
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A Redis URL that cannot be used, with the reason.
public enum RedisURLError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let url, let reason):
            // Never echo a password: show only what precedes the credentials.
            let scheme = url.lowercased().hasPrefix("rediss://") ? "rediss" : "redis"
            let shown = url.contains("@") ? "\(scheme)://…@" + (url.split(separator: "@").last.map(String.init) ?? "") : url
            return "invalid Redis URL \(shown): \(reason)"
        }
    }
}
