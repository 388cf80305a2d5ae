// swift-tools-version: 6.1
// Micro-benchmarks of the poll's hot path (ordo-one/benchmark). A package of its own so that
// `make test` never builds them: run `make microbench` (or `swift package benchmark` here).
import PackageDescription

let package = Package(
    name: "jobstatus-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "jobstatus", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "HotPath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "JobStatusConfiguration", package: "jobstatus"),
                .product(name: "JobStatusCore", package: "jobstatus"),
                .product(name: "JobStatusServer", package: "jobstatus"),
                .product(name: "JobStatusTestSupport", package: "jobstatus"),
                .product(name: "RedisWire", package: "jobstatus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HotPath",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        )
    ]
)
