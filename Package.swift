// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// scripts/fuzz.sh sets JOBSTATUS_FUZZ: then the product's own modules are compiled with libFuzzer's
/// coverage instrumentation (the dependencies are not, so they are not rebuilt) and the fuzz targets
/// at the end of this file exist.
let fuzzing = ProcessInfo.processInfo.environment["JOBSTATUS_FUZZ"] != nil
let fuzzInstrumentation: [SwiftSetting] = fuzzing ? [.unsafeFlags(["-sanitize=fuzzer"])] : []

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// The modules of the poll's path (request bytes → Redis → envelope) are built for release without
/// the run-time exclusivity checks: each access to a class's stored property (the connection's
/// handler, its session, the Redis handler) paid for a `swift_beginAccess`/`swift_endAccess` pair
/// and an access-set insertion, about 3 % of the front's CPU under the bench's poll load
/// (`make profile`). Those checks catch overlapping accesses at run time; the debug builds, which
/// run every test, keep them (the flag is for release only), and the compile-time checks stay in both.
let hotPathSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "jobstatus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "jobstatus", targets: ["jobstatus"]),
        .library(name: "JobStatusWriter", targets: ["JobStatusWriter"]),
        // For the micro-benchmarks in Benchmarks/ (a package of their own).
        .library(name: "JobStatusCore", targets: ["JobStatusCore"]),
        .library(name: "RedisWire", targets: ["RedisWire"]),
        .library(name: "JobStatusConfiguration", targets: ["JobStatusConfiguration"]),
        .library(name: "JobStatusServer", targets: ["JobStatusServer"]),
        .library(name: "JobStatusTestSupport", targets: ["JobStatusTestSupport"]),
        // A client of the API that polls well (docs/clients.md), generated from docs/openapi.yaml.
        .library(name: "JobStatusClient", targets: ["JobStatusClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // OTLP over HTTP only: the gRPC exporter's dependencies are not built.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
    ],
    targets: [
        // Generated/ is swift-openapi-generator's output, committed (scripts/clients/generate.sh):
        // building the library never builds the generator.
        .target(
            name: "JobStatusClient",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // hiredis, the oracle of RedisWire's tests (the product links none of it).
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .target(
            name: "RedisWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings + hotPathSettings + fuzzInstrumentation
        ),
        .target(
            name: "JobStatusCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.embedInCode("Resources/jobstatus_write.lua")],
            swiftSettings: strictSettings + hotPathSettings + fuzzInstrumentation
        ),
        // The job records on Redis: the poll's one read, watches over the instance's subscriber
        // connection. What the front's connections see of Redis is the JobStore seam (JobStatusCore).
        .target(
            name: "JobStatusStore",
            dependencies: [
                "JobStatusCore",
                "RedisWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings + hotPathSettings + fuzzInstrumentation
        ),
        // In-memory stand-ins for the job store, shared by the unit tests and the fuzz targets.
        .target(
            name: "JobStatusTestSupport",
            dependencies: [
                "JobStatusCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/Support",
            swiftSettings: strictSettings
        ),
        // Configuration per component (http, redis, auth, polling, limits, metrics, log, jobs), read
        // from swift-configuration with strict checks; the server and the CLI both read it here.
        .target(
            name: "JobStatusConfiguration",
            dependencies: [
                "JobStatusCore",
                "RedisWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // A scripted Redis server for the RedisWire unit tests: routing, redirections, reconnects
        // and failovers without a redis-server process.
        .target(
            name: "RedisTestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/RedisSupport",
            swiftSettings: strictSettings
        ),
        .target(
            name: "JobStatusWriter",
            dependencies: [
                "JobStatusCore",
                "RedisWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "JobStatusServer",
            dependencies: [
                "JobStatusConfiguration",
                "JobStatusCore",
                "JobStatusStore",
                "RedisWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ],
            // docs/openapi.yaml (through a symbolic link), served at /openapi.yaml.
            resources: [.embedInCode("Resources/openapi.yaml")],
            swiftSettings: strictSettings + hotPathSettings + fuzzInstrumentation
        ),
        .executableTarget(
            name: "jobstatus",
            dependencies: [
                "JobStatusConfiguration",
                "JobStatusCore",
                "JobStatusServer",
                "JobStatusWriter",
                "RedisWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RedisWireTests",
            dependencies: [
                "RedisWire",
                // hiredis is the oracle of RedisCommandEncoder's and RedisReplyParser's tests.
                "CHiredis",
                "RedisTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JobStatusWriterTests",
            dependencies: [
                "JobStatusWriter",
                "JobStatusCore",
                "RedisWire",
                "RedisTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JobStatusClientTests",
            dependencies: ["JobStatusClient"]
        ),
        .testTarget(
            name: "JobStatusCoreTests",
            dependencies: ["JobStatusCore", "JobStatusTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JobStatusStoreTests",
            dependencies: [
                "JobStatusStore",
                "RedisTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                "JobStatusCore",
                "JobStatusTestSupport",
                "RedisWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JobStatusConfigurationTests",
            dependencies: [
                "JobStatusConfiguration",
                "JobStatusCore",
                "RedisWire",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "JobStatusServerTests",
            dependencies: [
                "JobStatusConfiguration",
                "JobStatusServer",
                "JobStatusCore",
                "JobStatusTestSupport",
                "RedisTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                "RedisWire",
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "JobStatusTestSupport",
                "RedisTestSupport",
                "JobStatusWriter",
                "JobStatusCore",
                "JobStatusClient",
                "RedisWire",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)

// libFuzzer targets, built only by scripts/fuzz.sh: without the sanitizer they have no main.
if fuzzing {
    let fuzzTarget: [SwiftSetting] = strictSettings + [.unsafeFlags(["-sanitize=fuzzer", "-parse-as-library"])]
    let fuzzLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer"])]
    package.targets += [
        .target(name: "FuzzSupport", path: "Fuzz/Support", swiftSettings: strictSettings),
        .executableTarget(
            name: "FuzzRequests",
            dependencies: [
                "FuzzSupport", "JobStatusConfiguration", "JobStatusServer", "JobStatusCore", "JobStatusTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Fuzz/Requests",
            swiftSettings: fuzzTarget,
            linkerSettings: fuzzLink
        ),
        .executableTarget(
            name: "FuzzEnvelopes",
            dependencies: ["FuzzSupport", "JobStatusCore", .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/Envelopes",
            swiftSettings: fuzzTarget,
            linkerSettings: fuzzLink
        ),
    ]
}
