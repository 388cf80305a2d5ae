// swift-tools-version: 6.0
// Only builds swift-openapi-generator, at the version Sources/JobStatusClient/Generated was made
// with, for scripts/clients/generate.sh (the generated code is committed: the JobStatusClient
// library does not build the generator or its plugin).
import PackageDescription

let package = Package(
    name: "openapi-generator-tool",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator", exact: "1.14.3")
    ],
    targets: []
)
