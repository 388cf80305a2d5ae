import Foundation
import NIOCore
import NIOPosix
import Testing

extension Tooling {
    /// The programs the tests start inherit no socket of the test process: NIO's sockets are not
    /// close-on-exec, and a child holding a copy of one keeps that connection open after the test
    /// closes it (its peer never sees the close).
    @Suite("Spawned programs")
    struct SpawnTests {
        @Test("a program run by the tests has stdio and nothing else, while the test process holds open sockets")
        func onlyStdio() async throws {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let listener = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
            let run = try await runProcess("/bin/sh", ["-c", "ls /proc/self/fd"])
            let descriptors = run.output.split(separator: "\n").compactMap { Int($0) }
            print("descriptors of a spawned shell: \(descriptors)")
            // 0, 1, 2, and the one ls opens to read the directory.
            #expect(descriptors.filter { $0 > 2 }.count <= 1, "\(descriptors)")
            try await listener.close()
            try await group.shutdownGracefully()
        }
    }
}
