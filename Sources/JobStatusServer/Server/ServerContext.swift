import JobStatusConfiguration
import Logging
import NIOCore
import Prometheus

/// What every connection of the front shares, immutable after start-up.
final class ServerContext: Sendable {
    let configuration: ServerConfiguration
    let authentication: Authentication
    /// The keys of `auth.jwt.jwks_url`, whose state `/health/ready` reports on every listener
    /// (the operator's checks no tokens, but says why the keys may be missing or stale).
    let keySource: JWKSSource?
    /// The spans of each request; nil while tracing is off (`TracingSetup`).
    let tracer: RequestTracer?
    /// `meta.url`'s authority when a request carries no Host (HTTP/1.0).
    let defaultAuthority: String
    let logger: Logger
    /// Where `/metrics` reads from; nil when metrics are not collected.
    let metricsRegistry: PrometheusCollectorRegistry?
    /// The listener for operators only (`metrics.port`): metrics and health, no jobs.
    let isOperatorListener: Bool
    let limits: ClientLimits
    /// The clocks and bounds of every connection's `ConnectionStateMachine`.
    let connectionLimits: ConnectionLimits
    /// How often a connection checks its clocks: often enough that a timeout is enforced within
    /// a second of expiring, rarely enough to cost nothing per request.
    let tickInterval: TimeAmount

    /// Whether this listener answers `/metrics`: the operator port, or the only port.
    var servesMetrics: Bool {
        self.metricsRegistry != nil && (self.isOperatorListener || self.configuration.metrics.port == 0)
    }

    init(
        configuration: ServerConfiguration,
        authentication: Authentication,
        logger: Logger,
        metricsRegistry: PrometheusCollectorRegistry?,
        keySource: JWKSSource? = nil,
        tracer: RequestTracer? = nil,
        isOperatorListener: Bool = false
    ) {
        self.configuration = configuration
        self.metricsRegistry = metricsRegistry
        self.isOperatorListener = isOperatorListener
        self.limits = ClientLimits(
            rate: configuration.limits.rate,
            burst: configuration.limits.burst,
            maxWaitersPerClient: configuration.limits.maxWaitersPerClient
        )
        self.connectionLimits = ConnectionLimits(
            headerTimeout: TimeAmount(configuration.http.headerTimeout),
            idleTimeout: TimeAmount(configuration.http.idleTimeout),
            writeTimeout: TimeAmount(configuration.http.writeTimeout),
            heartbeat: TimeAmount(configuration.polling.heartbeat)
        )
        let shortest = min(configuration.http.headerTimeout, configuration.http.idleTimeout, configuration.http.writeTimeout)
        self.tickInterval = max(.milliseconds(50), min(.seconds(1), TimeAmount.nanoseconds(TimeAmount(shortest).nanoseconds / 4)))
        self.authentication = authentication
        self.keySource = keySource ?? authentication.keySource
        self.tracer = tracer
        let host = configuration.http.host == "0.0.0.0" || configuration.http.host == "::" ? "localhost" : configuration.http.host
        self.defaultAuthority = "\(host):\(configuration.http.port)"
        self.logger = logger
    }
}
