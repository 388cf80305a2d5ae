import ArgumentParser
import CoreMetrics
import Foundation
import JobStatusConfiguration
import JobStatusCore
import JobStatusServer
import Logging
import Prometheus
import RedisWire
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP front that answers GET /api/jobs/{id}.",
        discussion: "Every option overrides its configuration key; see the README's configuration table."
    )

    @Option(help: "A JSON configuration file (default: $JOBSTATUS_CONFIG, else Config/jobstatus.json if present).")
    var config: String?

    @Option(help: "http.host: the address to listen on.")
    var host: String?

    @Option(help: "http.port: the port to listen on (0 picks a free one).")
    var port: Int?

    @Option(help: "redis.url: redis://[user[:password]@]host[:port][/db], or rediss:// for TLS.")
    var redisURL: String?

    @Option(help: "auth.mode: tokens or none.")
    var authMode: String?

    @Option(help: "auth.tokens_file: the tokens file for auth.mode tokens.")
    var tokensFile: String?

    @Option(help: "log.level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func run() async throws {
        var flags: [String: String] = [:]
        if let host { flags["http.host"] = host }
        if let port { flags["http.port"] = String(port) }
        if let redisURL { flags["redis.url"] = redisURL }
        if let authMode { flags["auth.mode"] = authMode }
        if let tokensFile { flags["auth.tokens_file"] = tokensFile }
        if let logLevel { flags["log.level"] = logLevel }

        let configuration: ServerConfiguration
        do {
            let settings = try await ConfigurationLoader.settings(flags: flags, configFile: self.config)
            configuration = try ServerConfiguration(settings: settings)
        } catch {
            WriterOptions.report("\(error)")
            throw ExitStatus.configuration
        }

        let level = configuration.log.level
        LoggingSystem.bootstrap { label in
            switch configuration.log.format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                return JSONLogHandler(label: label, logLevel: level)
            }
        }
        // Before any metric object exists: they bind to the factory that is current when made.
        var metrics: PrometheusCollectorRegistry?
        if configuration.metrics.enabled {
            let registry = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: registry)
            // Polls take about a millisecond; long polls up to polling.max_wait.
            factory.defaultDurationHistogramBuckets = [
                .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                .seconds(1), .seconds(5), .seconds(30),
            ]
            MetricsSystem.bootstrap(factory)
            Gauge(label: "jobstatus_build_info", dimensions: [("version", JobStatusVersion.current)]).record(1)
            metrics = registry
        }
        let logger = Logger(label: "jobstatus")
        // After the logging and metrics systems: the JWKS source logs and counts.
        let authentication: Authentication
        do {
            authentication = try await configuration.auth.loadAuthentication(logger: logger)
        } catch {
            WriterOptions.report("\(error)")
            throw ExitStatus.configuration
        }
        if configuration.auth.mode == .none {
            logger.warning("auth.mode is none: every caller may read every job; use this for local development only")
        }
        if configuration.redis.tls?.verification == RedisTLSConfiguration.Verification.none {
            logger.warning("redis.tls.verify is none: any server, or anyone between, can pose as Redis; use this for local development only")
        }
        let tracing: (tracer: RequestTracer, service: any Service)?
        do {
            tracing = try TracingSetup.make(environment: ProcessInfo.processInfo.environment, logger: logger)
        } catch {
            WriterOptions.report("\(error)")
            throw ExitStatus.configuration
        }
        let server = HTTPServer(
            configuration: configuration,
            authentication: authentication,
            logger: logger,
            metricsRegistry: metrics,
            tracer: tracing?.tracer
        )
        let reloader = CredentialReloader(authentication: authentication, interval: configuration.auth.reloadInterval, logger: logger)
        // Services stop in reverse order: the server first (its last requests still have the JWT
        // keys' source), the exporter last (it sends the server's last spans).
        var services: [any Service] = tracing.map { [$0.service] } ?? []
        if let keySource = authentication.keySource {
            services.append(keySource)
        }
        services += [server, reloader]
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let error as ConfigurationError {
            logger.critical("\(error)")
            throw ExitStatus.configuration
        }
    }
}
