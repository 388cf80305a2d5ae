import Foundation
import RedisWire

#if canImport(Glibc)
import Glibc
#endif

/// A real Redis Sentinel deployment on loopback: one master, one replica and three sentinels
/// (`redis-server … --sentinel`, quorum 2, `down-after-milliseconds` 1000), the topology of the
/// common Helm charts.
final class SentinelGroup: @unchecked Sendable {
    static let masterName = "jobs"
    static let downAfter = Duration.milliseconds(1000)

    /// The data nodes: the first was the master when the group started.
    let dataNodes: [RedisServer]
    let sentinels: [RedisServer]

    /// `redis.url` of a front: every sentinel, comma-separated.
    var sentinelURLs: String { self.sentinels.map(\.url).joined(separator: ",") }

    /// The environment of a front in sentinel mode.
    var frontEnvironment: [String: String] {
        ["REDIS_MODE": "sentinel", "REDIS_SENTINEL_MASTER": Self.masterName]
    }

    static func start(_ name: String) async throws -> SentinelGroup {
        let dataArguments = ["--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes"]
        let master = try await RedisServer.start("\(name)-master", arguments: dataArguments)
        let replica = try await RedisServer.start("\(name)-replica", arguments: ["--replicaof", "127.0.0.1", "\(master.port)"] + dataArguments)
        var sentinels: [RedisServer] = []
        for index in 0..<3 {
            let directory = makeTemporaryDirectory("sentinel-\(name)-\(index)")
            let configFile = "\(directory)/sentinel.conf"
            try """
                sentinel monitor \(masterName) 127.0.0.1 \(master.port) 2
                sentinel down-after-milliseconds \(masterName) \(downAfter.wholeMilliseconds)
                sentinel failover-timeout \(masterName) 10000
                sentinel parallel-syncs \(masterName) 1

                """.write(toFile: configFile, atomically: true, encoding: .utf8)
            sentinels.append(try await RedisServer.start("\(name)-sentinel-\(index)", arguments: ["--sentinel"], configFile: configFile))
        }
        let group = SentinelGroup(dataNodes: [master, replica], sentinels: sentinels)
        // A failover needs every sentinel to know the replica and the other sentinels (hello
        // messages every 2 s), and the replica to be in sync.
        let ready = await eventually(timeout: .seconds(30)) {
            for sentinel in sentinels {
                guard let fields = try? await group.masterFields(asking: sentinel),
                    fields["num-slaves"] == "1", fields["num-other-sentinels"] == "2", fields["flags"] == "master"
                else { return false }
            }
            let replication = (try? await replica.command(["INFO", "replication"]).string) ?? ""
            return replication.contains("master_link_status:up")
        }
        guard ready else { throw TestFailure("the sentinels did not see the master, the replica and each other") }
        return group
    }

    private init(dataNodes: [RedisServer], sentinels: [RedisServer]) {
        self.dataNodes = dataNodes
        self.sentinels = sentinels
    }

    /// `SENTINEL master <name>`, as a dictionary.
    func masterFields(asking sentinel: RedisServer) async throws -> [String: String] {
        try await sentinel.command(["SENTINEL", "master", Self.masterName]).fields ?? [:]
    }

    /// The port of the master as the first sentinel that answers names it.
    func masterPort() async -> Int? {
        for sentinel in self.sentinels {
            if let reply = try? await sentinel.command(["SENTINEL", "get-master-addr-by-name", Self.masterName]).array,
                reply.count == 2, let port = reply[1].integer
            {
                return Int(port)
            }
        }
        return nil
    }

    /// The data node listening on `port`.
    func server(port: Int) -> RedisServer {
        self.dataNodes.first { $0.port == port }!
    }

    /// Waits until the data node on `port` says it is a master and the sentinels agree.
    func waitForMaster(port: Int, timeout: Duration = .seconds(30)) async -> Bool {
        await eventually(timeout: timeout) {
            guard await self.masterPort() == port else { return false }
            let role = try? await self.server(port: port).command(["ROLE"]).array?.first?.string
            return role == "master"
        }
    }

    /// Waits until the data node on `port` replicates the master and is in sync.
    func waitForReplica(port: Int, timeout: Duration = .seconds(30)) async -> Bool {
        await eventually(timeout: timeout) {
            let replication = (try? await self.server(port: port).command(["INFO", "replication"]).string) ?? ""
            return replication.contains("role:slave") && replication.contains("master_link_status:up")
        }
    }

    func stop() async {
        for server in self.sentinels + self.dataNodes {
            await server.stop()
        }
    }
}
