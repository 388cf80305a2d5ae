import Foundation
public import JobStatusConfiguration
public import Logging
import OTel
public import ServiceLifecycle

/// OpenTelemetry tracing from the standard `OTEL_*` variables, read by swift-otel: off unless an
/// OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`),
/// and off with `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Traces only: the logs
/// and metrics stay the front's own.
///
/// Values swift-otel accepts but cannot honour in this build stop the process in swift-otel
/// (a `fatalError`); they are refused here first, as configuration errors that name the variable:
/// the gRPC protocol (only OTLP over HTTP is built in), propagators other than `tracecontext`,
/// the Jaeger-remote and X-Ray samplers, exporters other than `otlp`.
public enum TracingSetup {
    /// The tracer and the service that exports its spans (run it in the service group before the
    /// server: shut down after it, it sends the last spans); nil when tracing is off.
    public static func make(
        environment: [String: String],
        logger: Logger
    ) throws(ConfigurationError) -> (tracer: RequestTracer, service: any Service)? {
        guard try Self.isEnabled(environment) else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "jobstatus"
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.diagnosticLogger = .custom(logger)
        do {
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            return (RequestTracer(backend.factory), backend.service)
        } catch {
            throw ConfigurationError("cannot set up OpenTelemetry tracing from the OTEL_* variables: \(error)")
        }
    }

    /// Whether the variables turn tracing on; throws for values this build cannot honour.
    static func isEnabled(_ environment: [String: String]) throws(ConfigurationError) -> Bool {
        func value(_ name: String) -> String? {
            environment[name].map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.flatMap { $0.isEmpty ? nil : $0 }
        }
        if value("OTEL_SDK_DISABLED") == "true" { return false }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            if let proto = value(name), proto != "http/protobuf", proto != "http/json" {
                throw ConfigurationError("\(name)=\(proto) is not supported: this build sends OTLP over HTTP; use http/protobuf or http/json")
            }
        }
        if let propagators = value("OTEL_PROPAGATORS") {
            for propagator in propagators.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
            where propagator != "tracecontext" && propagator != "none" {
                throw ConfigurationError("OTEL_PROPAGATORS names \(propagator): only tracecontext (W3C) is supported")
            }
        }
        if let sampler = value("OTEL_TRACES_SAMPLER"), ["jaeger_remote", "parentbased_jaeger_remote", "xray"].contains(sampler) {
            throw ConfigurationError(
                "OTEL_TRACES_SAMPLER=\(sampler) is not supported: use always_on, always_off, traceidratio or a parentbased_ one"
            )
        }
        switch value("OTEL_TRACES_EXPORTER") {
        case "none": return false
        case nil, "otlp": break
        case let other?: throw ConfigurationError("OTEL_TRACES_EXPORTER=\(other) is not supported: use otlp or none")
        }
        return value("OTEL_EXPORTER_OTLP_ENDPOINT") != nil || value("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nil
    }
}
