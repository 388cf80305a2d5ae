import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Debian's `prometheus` on loopback, scraping jobstatus fronts every second under
/// `job="jobstatus"` and evaluating the project's alert rules (or a copy of them) every second.
final class PrometheusServer: Sendable {
    let port: Int
    let child: ChildProcess
    var url: String { "http://127.0.0.1:\(self.port)" }

    /// `rules`: the rule files to load, as their text (written next to the configuration).
    static func start(_ name: String, scraping targets: [Int], rules: [String] = []) async throws -> PrometheusServer {
        let directory = makeTemporaryDirectory("prometheus-\(name)")
        var ruleFiles: [String] = []
        for (index, text) in rules.enumerated() {
            let path = "\(directory)/rules-\(index).yml"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            ruleFiles.append(path)
        }
        let configuration = """
            global:
              scrape_interval: 1s
              scrape_timeout: 900ms
              evaluation_interval: 1s
            rule_files: [\(ruleFiles.map { "\"\($0)\"" }.joined(separator: ", "))]
            scrape_configs:
              - job_name: jobstatus
                static_configs:
                  - targets: [\(targets.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]
            """
        try configuration.write(toFile: "\(directory)/prometheus.yml", atomically: true, encoding: .utf8)
        let port = freePort()
        let child = try ChildProcess(
            name: "prometheus",
            executable: "/usr/bin/prometheus",
            arguments: [
                "--config.file=\(directory)/prometheus.yml", "--storage.tsdb.path=\(directory)/data",
                "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
            ],
            directory: directory
        )
        let server = PrometheusServer(port: port, child: child)
        guard await eventually(timeout: .seconds(20), { (try? await server.get("/-/ready")) != nil }) else {
            throw TestFailure("prometheus did not become ready:\n\(child.log)")
        }
        return server
    }

    private init(port: Int, child: ChildProcess) {
        self.port = port
        self.child = child
    }

    /// The body of a GET on Prometheus' HTTP API; throws unless 200.
    func get(_ path: String) async throws -> Data {
        let (data, response) = try await URLSession.shared.data(from: URL(string: self.url + path)!)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else {
            throw TestFailure("GET \(path): \((response as? HTTPURLResponse)?.statusCode ?? 0) \(String(decoding: data, as: UTF8.self))")
        }
        return data
    }

    /// An instant query's samples: each series' labels and value.
    func query(_ promQL: String) async throws -> [(labels: [String: String], value: Double)] {
        let encoded = promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let data = try await self.get("/api/v1/query?query=\(encoded)")
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        let results = (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
        return results.map { result in
            let labels = result["metric"] as? [String: String] ?? [:]
            let value = (result["value"] as? [Any])?.last.flatMap { $0 as? String }.flatMap(Double.init) ?? .nan
            return (labels, value)
        }
    }

    /// The alert rules as loaded: each rule's name and health (`ok`, or why not), and the
    /// alerts firing.
    func rules() async throws -> (health: [String: String], firing: Set<String>) {
        let json = try JSONSerialization.jsonObject(with: try await self.get("/api/v1/rules")) as? [String: Any]
        let groups = (json?["data"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
        var health: [String: String] = [:]
        var firing: Set<String> = []
        for rule in groups.flatMap({ $0["rules"] as? [[String: Any]] ?? [] }) {
            let name = rule["name"] as? String ?? "?"
            health[name] = (rule["health"] as? String ?? "?") + ((rule["lastError"] as? String).map { $0.isEmpty ? "" : ": \($0)" } ?? "")
            if rule["state"] as? String == "firing" { firing.insert(name) }
        }
        return (health, firing)
    }

    func stop() async {
        await self.child.kill()
    }
}
