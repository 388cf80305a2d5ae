import Foundation
import JobStatusWriter
import NIOCore
import RedisWire

/// A real Redis Cluster on loopback: redis-server processes, three (or `primaries`) primaries with
/// one replica each, created with `redis-cli --cluster create`.
final class RedisCluster: @unchecked Sendable {
    struct Node {
        let id: String
        let port: Int
        let isPrimary: Bool
        let primaryID: String?
        let slots: [ClosedRange<Int>]
        let failed: Bool
    }

    let servers: [RedisServer]

    var seeds: String { self.servers.map(\.url).joined(separator: ",") }

    /// With `tls`, every node speaks TLS only, to clients and on the cluster bus (`tls-cluster`,
    /// `tls-replication`), and announces its IP address, as managed clusters do.
    static func start(_ name: String, tls: Bool = false, primaries: Int = 3) async throws -> RedisCluster {
        var servers: [RedisServer] = []
        for index in 0..<(primaries * 2) {
            servers.append(
                try await RedisServer.start(
                    "\(name)-\(index)",
                    arguments: [
                        "--cluster-enabled", "yes", "--cluster-node-timeout", "1000", "--cluster-config-file", "nodes.conf",
                        "--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes",
                    ],
                    tls: tls ? (certificate: "server", authClients: false) : nil,
                    cluster: true
                )
            )
        }
        let cluster = RedisCluster(servers: servers)
        let created = try await runProcess(
            "/usr/bin/env",
            ["redis-cli"] + (tls ? TestCertificates.shared.cliArguments : []) + ["--cluster", "create"] + servers.map { "127.0.0.1:\($0.port)" } + ["--cluster-replicas", "1", "--cluster-yes"]
        )
        guard created.status == 0 else { throw TestFailure("redis-cli --cluster create failed:\n\(created.output)\n\(created.error)") }
        let ready = await eventually(timeout: .seconds(20)) {
            for server in servers {
                guard let info = try? await server.command(["CLUSTER", "INFO"]).string, info.contains("cluster_state:ok") else {
                    return false
                }
            }
            // Replicas show in CLUSTER SLOTS once their first sync is done.
            let slots = try? await servers[0].command(["CLUSTER", "SLOTS"]).array
            return slots?.count == primaries && slots?.allSatisfy { ($0.array?.count ?? 0) >= 4 } == true
        }
        guard ready else { throw TestFailure("the cluster did not become ready") }
        return cluster
    }

    private init(servers: [RedisServer]) {
        self.servers = servers
    }

    func server(port: Int) -> RedisServer {
        self.servers.first { $0.port == port }!
    }

    /// `CLUSTER NODES`, as seen by the first node still running.
    func nodes() async throws -> [Node] {
        for server in self.servers where server.child.isRunning {
            guard let text = try? await server.command(["CLUSTER", "NODES"]).string else { continue }
            return text.split(separator: "\n").map { line in
                let fields = line.split(separator: " ").map(String.init)
                let port = Int(fields[1].split(separator: ":")[1].split(separator: "@")[0]) ?? 0
                let flags = fields[2]
                let slots = fields.dropFirst(8).compactMap { range -> ClosedRange<Int>? in
                    guard !range.hasPrefix("[") else { return nil }
                    let bounds = range.split(separator: "-").compactMap { Int($0) }
                    return bounds.count == 2 ? bounds[0]...bounds[1] : bounds.first.map { $0...$0 }
                }
                return Node(
                    id: fields[0], port: port, isPrimary: flags.contains("master"),
                    primaryID: fields[3] == "-" ? nil : fields[3], slots: slots, failed: flags.contains("fail")
                )
            }
        }
        throw TestFailure("no cluster node answers")
    }

    /// The primary serving `slot`.
    func primary(forSlot slot: Int) async throws -> Node {
        guard let node = try await self.nodes().first(where: { $0.isPrimary && !$0.failed && $0.slots.contains { $0.contains(slot) } }) else {
            throw TestFailure("no primary serves slot \(slot)")
        }
        return node
    }

    /// A counter of `CLUSTER INFO` (`cluster_stats_messages_publish_sent`, …) summed over the
    /// running nodes.
    func busMessages(_ counter: String) async throws -> Int {
        var total = 0
        for server in self.servers where server.child.isRunning {
            let info = try await server.command(["CLUSTER", "INFO"]).string ?? ""
            let line = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("\(counter):") }
            total += line.flatMap { Int($0.split(separator: ":")[1]) } ?? 0
        }
        return total
    }

    /// The sharded channels (`SSUBSCRIBE`) matching `pattern` that the node on `port` holds.
    func shardChannels(on port: Int, matching pattern: String = "job:*") async throws -> [String] {
        try await self.server(port: port).command(["PUBSUB", "SHARDCHANNELS", pattern]).array?.compactMap(\.string) ?? []
    }

    /// Random job ids whose keys (`job:<id>`) all fall into `slot`.
    static func ids(inSlot slot: Int, count: Int) -> [String] {
        var ids: [String] = []
        while ids.count < count {
            let id = "s\(slot)-\(JobIDs.random())"
            if HashSlot.slot(for: "job:\(id)") == slot { ids.append(id) }
        }
        return ids
    }

    func writer() async throws -> JobWriter {
        let seeds = try self.servers.map { try RedisURL(parsing: $0.url) }
        let connection = RedisConnectionConfiguration(
            url: seeds[0],
            commandTimeout: .seconds(5),
            tls: seeds[0].tls ? TestCertificates.shared.adminTLS : nil
        )
        return try await JobWriter.connect(
            deployment: .cluster(RedisClusterConfiguration(seeds: seeds, connection: connection)),
            eventLoop: TestEventLoop.shared,
            logger: quietLogger
        )
    }

    /// A writer whose writes return once a replica has them too (`WAIT`), so a failover loses none.
    func replicatedWriter() async throws -> JobWriter {
        let seeds = try self.servers.map { try RedisURL(parsing: $0.url) }
        let connection = RedisConnectionConfiguration(url: seeds[0], commandTimeout: .seconds(5))
        return try await JobWriter.connect(
            deployment: .cluster(RedisClusterConfiguration(seeds: seeds, connection: connection)),
            configuration: JobWriterConfiguration(durability: .replicated(timeout: .seconds(2))),
            eventLoop: TestEventLoop.shared,
            logger: quietLogger
        )
    }

    func stop() async {
        for server in self.servers { await server.stop() }
    }
}

enum JobIDs {
    /// A short random id (the slot search needs many).
    static func random() -> String {
        String((0..<8).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
    }
}
