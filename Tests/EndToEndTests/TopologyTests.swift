import Foundation
import JobStatusWriter
import RedisWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Tooling {
    /// The production topology on loopback (scripts/topology.sh): one Redis, three fronts, nginx.
    @Suite("Many fronts behind nginx", .serialized)
    struct TopologyTests {
        static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

        @Test("polls reach all three fronts; a rolling restart and a SIGKILL lose zero polls")
        func rollingRestartAndKill() async throws {
            let directory = makeTemporaryDirectory("topology")
            let redisPort = freePort()
            let frontPorts = (0..<3).map { _ in freePort() }
            let balancerPort = freePort()
            let environment = [
                "TOPOLOGY_DIR": directory, "TOPOLOGY_REDIS_PORT": "\(redisPort)",
                "TOPOLOGY_FRONT_PORTS": frontPorts.map(String.init).joined(separator: " "),
                "TOPOLOGY_LB_PORT": "\(balancerPort)", "JOBSTATUS_BINARY": Binary.path, "LOG_ACCESS": "true", "LIMITS_RATE": "0",
            ]
            let script = "\(Self.repository)/scripts/topology.sh"
            func topology(_ arguments: String...) async throws {
                let result = try await runProcess(script, arguments, environment: environment)
                #expect(result.status == 0, "topology.sh \(arguments): \(result.output)\n\(result.error)")
            }
            try await topology("up")
            defer { _ = try? stopTopology(script, environment: environment) }
            // A real Prometheus scrapes the three fronts through the restarts.
            let prometheus = try await PrometheusServer.start("topology", scraping: frontPorts)
            defer { Task { await prometheus.stop() } }

            let writer = try await JobWriter.connect(url: RedisURL(host: "127.0.0.1", port: redisPort), eventLoop: TestEventLoop.shared, logger: quietLogger)
            var ids: [String] = []
            for index in 0..<20 {
                let id = try await writer.create(owner: "demo-client").id
                if index % 2 == 0 { _ = try await writer.processed(id: id, links: [JobLink(entity: "e", href: "/e/\(index)")]) }
                ids.append(id)
            }
            await writer.close()

            let stopFile = "\(directory)/stop-load"
            let load = try ChildProcess(
                name: "load",
                executable: "/usr/bin/env",
                arguments: ["python3", "\(Self.repository)/scripts/load.py", "http://127.0.0.1:\(balancerPort)", "demo-token-for-local-use-only", stopFile] + ids,
                directory: directory
            )
            try await Task.sleep(for: .seconds(1))
            for front in 1...3 {
                try await topology("stop-front", "\(front)", "TERM")
                try await topology("start-front", "\(front)")
            }
            try await topology("stop-front", "2", "KILL")
            try await Task.sleep(for: .milliseconds(500))
            try await topology("start-front", "2")
            try await Task.sleep(for: .seconds(1))
            _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
            #expect(await load.waitForExit() == 0)

            let summary = try #require(
                try JSONSerialization.jsonObject(with: Data(load.log.utf8)) as? [String: Any],
                "load.py said: \(load.log)"
            )
            let polls = summary["polls"] as? Int ?? 0
            let failed = summary["failed"] as? Int ?? -1
            print("topology: \(polls) polls through nginx during a rolling restart of 3 fronts and a SIGKILL; failed: \(failed) \(summary["failures"] ?? [])")
            #expect(polls > 200)
            #expect(failed == 0, "\(summary["failures"] ?? [])")

            // Every front is scraped again after the restarts, and its poll counter rose.
            let up = await eventually(timeout: .seconds(15)) {
                let targets = (try? await prometheus.query(#"up{job="jobstatus"} == 1"#)) ?? []
                return targets.count == 3
            }
            let perFront = try await prometheus.query(#"sum by (instance) (increase(jobstatus_http_requests_total{route="job"}[1m]))"#)
            print("topology: Prometheus scrapes \(try await prometheus.query(#"up{job="jobstatus"}"#).count) fronts, up == 1 for all: \(up); polls per front over the last minute: "
                + perFront.map { "\($0.labels["instance"] ?? "?") \(Int($0.value))" }.sorted().joined(separator: ", "))
            #expect(up)
            #expect(perFront.count == 3 && perFront.allSatisfy { $0.value > 0 }, "\(perFront)")

            for front in 1...3 {
                let log = (try? String(contentsOfFile: "\(directory)/front-\(front).log", encoding: .utf8)) ?? ""
                let served = log.split(separator: "\n").filter { $0.contains("path=/api/jobs/") }.count
                #expect(served > 0, "front \(front) served no polls")
            }
        }

        @Test("docker-compose.yml parses and agrees with the loopback topology")
        func compose() async throws {
            let result = try await runProcess("/usr/bin/env", ["python3", "\(Self.repository)/scripts/topology/check_compose.py"])
            #expect(result.status == 0, "\(result.output)")
        }
    }
}

/// For `defer`, which cannot await: stop the topology synchronously.
private func stopTopology(_ script: String, environment: [String: String]) throws -> Int32 {
    try runProcessBlocking(script, ["down"], environment: environment).status
}
