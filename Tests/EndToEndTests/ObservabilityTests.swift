import Foundation
import JobStatusWriter
import Testing

extension Tooling {
    /// What operators drop into Prometheus, Grafana and Kubernetes, checked against the real thing:
    /// promtool, a real Prometheus scraping a real front, Grafana's dashboard schema, the Kubernetes
    /// schemas. Each test prints what it checked.
    @Suite("Alert rules, dashboard and manifests", .serialized)
    struct ObservabilityTests {
        static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
        static let rules = "\(repository)/Config/prometheus/jobstatus-alerts.yml"

        @Test("promtool check rules, and promtool test rules: every alert fires on its synthetic series and not on the healthy ones")
        func promtool() async throws {
            let check = try await runProcess("/usr/bin/promtool", ["check", "rules", Self.rules])
            print("promtool check rules: \(check.output.trimmingCharacters(in: .whitespacesAndNewlines))")
            #expect(check.status == 0, "\(check.output)\(check.error)")
            let tests = try await runProcess("/usr/bin/promtool", ["test", "rules", "\(Self.repository)/Config/prometheus/jobstatus-alerts.test.yml"])
            print("promtool test rules: \(tests.output.trimmingCharacters(in: .whitespacesAndNewlines))")
            #expect(tests.status == 0, "\(tests.output)\(tests.error)")
            // Every alert of the rules file has a test.
            let alerts = try Self.alertNames()
            let tested = try String(contentsOfFile: "\(Self.repository)/Config/prometheus/jobstatus-alerts.test.yml", encoding: .utf8)
            let untested = alerts.filter { !tested.contains("alertname: \($0)") }
            #expect(untested.isEmpty, "alerts without a test: \(untested)")
            #expect(alerts.count >= 10)
        }

        @Test("a real Prometheus scrapes a front: up is 1, the request counter rises under load, the rules load, and the readiness and front-down alerts fire")
        func prometheusScrapesAFront() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("prometheus")
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            // A copy of the rules with short `for:` (the real ones wait minutes).
            let quickRules = try String(contentsOfFile: Self.rules, encoding: .utf8).replacing(/for: [0-9]+[smh]/, with: "for: 2s")
            let prometheus = try await PrometheusServer.start("front", scraping: [front.port], rules: [quickRules])
            defer { Task { await prometheus.stop() } }

            #expect(await eventually(timeout: .seconds(15)) { (try? await prometheus.query(#"up{job="jobstatus"}"#))?.first?.value == 1 })
            let requests = #"sum(jobstatus_http_requests_total{job="jobstatus", route="job"})"#
            let before = try await prometheus.query(requests).first?.value ?? 0
            let client = try front.client()
            for _ in 0..<300 { _ = try await client.request("/api/jobs/\(id)", token: Tokens.owner) }
            let rose = await eventually(timeout: .seconds(10)) { ((try? await prometheus.query(requests))?.first?.value ?? 0) >= before + 300 }
            let after = try await prometheus.query(requests).first?.value ?? 0
            let (health, firingBefore) = try await prometheus.rules()
            print("prometheus: up 1; requests_total{route=\"job\"} \(Int(before)) → \(Int(after)) under 300 polls; \(health.count) rules loaded: \(health.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })")
            #expect(rose)
            #expect(health.count == (try Self.alertNames()).count)
            #expect(health.values.allSatisfy { $0 == "ok" }, "\(health)")
            #expect(!firingBefore.contains("JobstatusRedisNotReady"))

            await redis.stop()
            let stopped = ContinuousClock.now
            let notReady = await eventually(timeout: .seconds(20)) { (try? await prometheus.rules())?.firing.contains("JobstatusRedisNotReady") == true }
            let notReadyAfter = ContinuousClock.now - stopped
            await front.child.kill()
            let killed = ContinuousClock.now
            let down = await eventually(timeout: .seconds(20)) { (try? await prometheus.rules())?.firing.contains("JobstatusFrontDown") == true }
            print("prometheus: JobstatusRedisNotReady firing \(notReadyAfter) after Redis stopped, JobstatusFrontDown \(ContinuousClock.now - killed) after the front was killed (for: 2s in this copy, scrape and evaluation every 1 s)")
            #expect(notReady)
            #expect(down)
            await writer.close()
        }

        @Test("the Grafana dashboard: in Grafana's schema, every query runs on a real Prometheus, every metric and label is in a real scrape")
        func dashboard() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("dashboard")
            let prometheus = try await PrometheusServer.start("dashboard", scraping: [front.port])
            defer { Task { await prometheus.stop() } }
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            _ = try await front.get("/api/jobs/\(id)")
            _ = try await front.get("/api/jobs?ids=\(id),x")
            let scrapeFile = makeTemporaryDirectory("dashboard") + "/metrics.txt"
            try (try await front.get("/metrics", token: nil).body).write(toFile: scrapeFile, atomically: true, encoding: .utf8)
            // Prometheus holds at least one scrape with the requests above.
            #expect(await eventually(timeout: .seconds(15)) { ((try? await prometheus.query(#"jobstatus_polls_total{state="pending"}"#))?.first?.value ?? 0) >= 1 })
            let result = try await runProcess(
                "/usr/bin/env",
                ["python3", "\(Self.repository)/scripts/observability/check_dashboard.py", "\(Self.repository)/Config/grafana/jobstatus.json", prometheus.url, scrapeFile]
            )
            print(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(result.status == 0, "\(result.output)\(result.error)")
            await PrivateEnvironment.stop(redis, front, writer)
        }

        @Test("the Kubernetes manifests, and docs/deployment.md's overlay for an external Redis, render with kustomize and validate against the Kubernetes schemas; probes, shutdown, security and wiring hold")
        func kubernetes() async throws {
            // The overlay of the documentation, beside a copy of the base, with secret files of its own.
            let directory = makeTemporaryDirectory("kubernetes")
            let overlay = "\(directory)/overlays/production"
            try FileManager.default.createDirectory(atPath: "\(overlay)/secrets", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: "\(directory)/deploy", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(Self.repository)/deploy/kubernetes", toPath: "\(directory)/deploy/kubernetes")
            let documentation = try String(contentsOfFile: "\(Self.repository)/docs/deployment.md", encoding: .utf8)
            let example = try #require(documentation.firstMatch(of: /```yaml\n# overlays\/production\/kustomization.yaml\n((?:.|\n)*?)```/))
            try String(example.1).write(toFile: "\(overlay)/kustomization.yaml", atomically: true, encoding: .utf8)
            try #"{"tokens": []}"#.write(toFile: "\(overlay)/secrets/tokens.json", atomically: true, encoding: .utf8)
            try "not-the-placeholder".write(toFile: "\(overlay)/secrets/redis-password", atomically: true, encoding: .utf8)

            for manifests in ["\(Self.repository)/deploy/kubernetes", overlay] {
                let result = try await runProcess("/usr/bin/env", ["python3", "\(Self.repository)/scripts/observability/check_kubernetes.py", manifests])
                print(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
                #expect(result.status == 0, "\(result.output)\(result.error)")
            }
            let rendered = try await runProcess("/usr/bin/env", ["kubectl", "kustomize", overlay])
            #expect(rendered.output.contains("image: registry.example.org/jobstatus:0.1.0"))
            #expect(rendered.output.contains("namespace: jobs"))
            #expect(!rendered.output.contains("change-me"), "the overlay's secret replaces the placeholders")
        }

        /// The alert names of the rules file.
        static func alertNames() throws -> [String] {
            let text = try String(contentsOfFile: Self.rules, encoding: .utf8)
            return text.matches(of: /- alert: (\w+)/).map { String($0.1) }
        }
    }
}
