import Logging
import Prometheus

/// What every connection of the front shares, immutable after start-up.
final class ServerContext: Sendable {
    let configuration: ServerConfiguration
    let authentication: Authentication
    let keyPrefix: [UInt8]
    /// `meta.url`'s authority when a request carries no Host (HTTP/1.0).
    let defaultAuthority: String
    let logger: Logger
    /// Where `/metrics` reads from; nil when metrics are not collected.
    let metricsRegistry: PrometheusCollectorRegistry?
    /// The listener for operators only (`metrics.port`): metrics and health, no jobs.
    let isOperatorListener: Bool
    let limits: ClientLimits

    /// Whether this listener answers `/metrics`.
    var servesMetrics: Bool {
        self.metricsRegistry != nil && (self.isOperatorListener || self.configuration.metricsPort == 0)
    }

    init(
        configuration: ServerConfiguration,
        authentication: Authentication,
        logger: Logger,
        metricsRegistry: PrometheusCollectorRegistry?,
        isOperatorListener: Bool = false
    ) {
        self.configuration = configuration
        self.metricsRegistry = metricsRegistry
        self.isOperatorListener = isOperatorListener
        self.limits = ClientLimits(
            rate: configuration.rateLimit,
            burst: configuration.rateBurst,
            maxWaitersPerClient: configuration.maxWaitersPerClient
        )
        self.authentication = authentication
        self.keyPrefix = Array(configuration.keyPrefix.utf8)
        let host = configuration.host == "0.0.0.0" || configuration.host == "::" ? "localhost" : configuration.host
        self.defaultAuthority = "\(host):\(configuration.port)"
        self.logger = logger
    }
}
