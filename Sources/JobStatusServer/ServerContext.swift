import Logging

/// What every connection of the front shares, immutable after start-up.
final class ServerContext: Sendable {
    let configuration: ServerConfiguration
    /// Nil when `auth.mode` is `none`.
    let authenticator: TokenAuthenticator?
    let keyPrefix: [UInt8]
    /// `meta.url`'s authority when a request carries no Host (HTTP/1.0).
    let defaultAuthority: String
    let logger: Logger

    init(configuration: ServerConfiguration, authenticator: TokenAuthenticator?, logger: Logger) {
        self.configuration = configuration
        self.authenticator = authenticator
        self.keyPrefix = Array(configuration.keyPrefix.utf8)
        let host = configuration.host == "0.0.0.0" || configuration.host == "::" ? "localhost" : configuration.host
        self.defaultAuthority = "\(host):\(configuration.port)"
        self.logger = logger
    }
}
