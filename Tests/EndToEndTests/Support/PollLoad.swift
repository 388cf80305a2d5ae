import Foundation

/// `scripts/load.py` polling jobs through a front until stopped: the fault tests' steady load.
struct PollLoad {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized.path

    struct Summary {
        let polls: Int
        let failed: Int
        let failures: [String]
    }

    private let process: ChildProcess
    private let stopFile: String

    /// Starts polling `ids` through `front` (files in the front's directory).
    static func start(_ front: Front, ids: [String]) throws -> PollLoad {
        let stopFile = "\(front.directory)/stop-\(UUID().uuidString)"
        let process = try ChildProcess(
            name: "load-\(UUID().uuidString.prefix(6))",
            executable: "/usr/bin/env",
            arguments: ["python3", "\(Self.repository)/scripts/load.py", "http://127.0.0.1:\(front.port)", Tokens.owner, stopFile] + ids,
            directory: front.directory
        )
        return PollLoad(process: process, stopFile: stopFile)
    }

    /// Stops the load and returns its summary.
    func finish() async throws -> Summary {
        _ = FileManager.default.createFile(atPath: self.stopFile, contents: nil)
        _ = await self.process.waitForExit()
        guard let summary = try JSONSerialization.jsonObject(with: Data(self.process.log.utf8)) as? [String: Any] else {
            throw TestFailure("load.py printed no summary: \(self.process.log)")
        }
        return Summary(polls: summary["polls"] as? Int ?? 0, failed: summary["failed"] as? Int ?? -1, failures: summary["failures"] as? [String] ?? [])
    }
}
