import Foundation

/// A helper server of scripts/testing (a proxy, an identity provider, a collector), run as a child
/// process; `start` returns once it printed `listening`.
enum TestScript {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../scripts/testing").standardized.path

    static func start(_ script: String, name: String, arguments: [String], directory: String) async throws -> ChildProcess {
        let child = try ChildProcess(
            name: name,
            executable: "/usr/bin/env",
            arguments: ["python3", "\(Self.directory)/\(script)"] + arguments,
            directory: directory
        )
        guard await eventually(timeout: .seconds(10), { child.log.contains("listening") }) else {
            throw TestFailure("\(script) did not start: \(child.log)")
        }
        return child
    }
}
