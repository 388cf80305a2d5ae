// swift-tools-version:6.0
// The floor of the poll on SwiftNIO (make bench's "NIO floor" row): a server that answers every
// request with the bytes of a recorded jobstatus response and does nothing else. A package of its
// own, depending on SwiftNIO alone, so that the bench builds it in a minute.
import PackageDescription

let package = Package(
    name: "nio-floor",
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2")
    ],
    targets: [
        .executableTarget(
            name: "NIOFloor",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
