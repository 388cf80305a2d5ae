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

    /// Polls `ids` through `front` while `replica` is SIGSTOPped for 5 s, then while it answers
    /// `LOADING` (`RedisServer.reloadSlowly`); prints both summaries under `label`.
    static func acrossReplicaStalls(_ front: Front, ids: [String], replica: RedisServer, label: String) async throws -> (stopped: Summary, loading: Summary) {
        let stoppedLoad = try Self.start(front, ids: ids)
        try await Task.sleep(for: .milliseconds(700))
        replica.pause()
        try await Task.sleep(for: .seconds(5))
        replica.resume()
        try await Task.sleep(for: .milliseconds(700))
        let stopped = try await stoppedLoad.finish()
        print("\(label) replica SIGSTOPped 5 s: \(stopped.polls) polls, \(stopped.failed) failed \(stopped.failures.prefix(3))")

        _ = await eventually(timeout: .seconds(10)) { (try? await replica.command(["PING"])) == .simpleString("PONG") }
        let loadingLoad = try Self.start(front, ids: ids)
        try await Task.sleep(for: .milliseconds(500))
        let reloadStarted = ContinuousClock.now
        try await replica.reloadSlowly()
        let reloadTook = ContinuousClock.now - reloadStarted
        try await Task.sleep(for: .milliseconds(500))
        let loading = try await loadingLoad.finish()
        print("\(label) replica LOADING for \(reloadTook): \(loading.polls) polls, \(loading.failed) failed \(loading.failures.prefix(3))")
        return (stopped, loading)
    }
}
