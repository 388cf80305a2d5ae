import Foundation
import JobStatusWriter
import RedisWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Topologies {
    /// The front and the writer against a real Redis Cluster.
    @Suite("Redis Cluster", .serialized)
    struct ClusterTests {
        private func front(_ name: String, _ cluster: RedisCluster, environment: [String: String] = [:]) async throws -> Front {
            try await Front.start(name, redisURL: cluster.seeds, environment: ["REDIS_MODE": "cluster"].merging(environment) { _, new in new })
        }

        @Test("jobs spread over every slot range are written and read back; the CLI speaks cluster too")
        func spreadOverSlots() async throws {
            let cluster = try await RedisCluster.start("spread")
            let front = try await self.front("cluster-spread", cluster)
            let writer = try await cluster.writer()
            var ids: [String] = []
            for index in 0..<150 {
                let id = try await writer.create(owner: "mis-1").id
                if index % 2 == 0 { _ = try await writer.processed(id: id, links: [JobLink(entity: "e", href: "/e/\(index)")]) }
                ids.append(id)
            }
            for primary in try await cluster.nodes().filter(\.isPrimary) {
                let keys = try await cluster.server(port: primary.port).command(["DBSIZE"]).integer ?? 0
                #expect(keys > 10, "primary \(primary.port) holds \(keys) keys")
            }
            for (index, id) in ids.enumerated() {
                #expect(try await front.get("/api/jobs/\(id)").status == (index % 2 == 0 ? 303 : 200))
            }
            let created = try await Binary.run(["create", "--redis-url", cluster.seeds, "--redis-mode", "cluster"])
            #expect(created.status == 0, "\(created.error)")
            #expect(try await front.get("/api/jobs/\(created.output)").status == 200)
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }

        @Test("redis.read_from replica: polls are served by replicas (after READONLY)")
        func replicaReads() async throws {
            let cluster = try await RedisCluster.start("replicas")
            let front = try await self.front("cluster-replicas", cluster, environment: ["REDIS_READ_FROM": "replica"])
            let writer = try await cluster.writer()
            var ids: [String] = []
            for _ in 0..<30 {
                ids.append(try await writer.create(owner: "mis-1").id)
            }
            for id in ids {
                #expect(await eventually(timeout: .seconds(2)) { (try? await front.get("/api/jobs/\(id)"))?.status == 200 })
            }
            var replicaReads = 0
            var primaryReads = 0
            for node in try await cluster.nodes() {
                let reads = try await cluster.server(port: node.port).calls(of: "hmget")
                if node.isPrimary { primaryReads += reads } else { replicaReads += reads }
            }
            #expect(replicaReads >= ids.count)
            #expect(primaryReads == 0, "polls never reach a primary")
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }

        @Test("read_from replica: a replica SIGKILLed under load costs no poll (each is retried on the primary), and is read from again when back")
        func replicaFallback() async throws {
            let (cluster, front, writer, victimServer, primaryServer, ids) = try await self.replicaShard("fallback")
            let primaryReadsBefore = try await primaryServer.calls(of: "hmget")

            let load = try PollLoad.start(front, ids: ids)
            try await Task.sleep(for: .milliseconds(700))
            victimServer.child.signal(SIGKILL)
            try await Task.sleep(for: .seconds(2))
            let primaryReads = try await primaryServer.calls(of: "hmget") - primaryReadsBefore
            try await victimServer.restart()
            // Back as a replica of the same primary (its nodes.conf survived), reads go to it again.
            let readAgain = await eventually(timeout: .seconds(15)) {
                ((try? await victimServer.calls(of: "hmget")) ?? 0) > 0
            }
            let result = try await load.finish()
            let metrics = try await front.get("/metrics", token: nil).body
            let fallbacks = metrics.split(separator: "\n").first { $0.hasPrefix("jobstatus_redis_replica_fallbacks_total") } ?? "none"
            print("replica fallback: \(result.polls) polls while a replica was killed and restarted; failed \(result.failed) \(result.failures.prefix(3)); "
                + "\(primaryReads) reads on its primary meanwhile; \(fallbacks)")
            #expect(result.polls > 100)
            #expect(result.failed == 0, "\(result.failures.prefix(5))")
            #expect(primaryReads > 0, "the primary answered the shard's polls")
            #expect(readAgain, "the restarted replica is read from again")
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }

        @Test("read_from replica: a replica SIGSTOPped for 5 s, then answering LOADING while it reloads, costs no poll")
        func replicaStalled() async throws {
            let shard = try await self.replicaShard("stalled")
            let fallbacksBefore = try await self.replicaFallbacks(shard.front)
            let (stopped, loading) = try await PollLoad.acrossReplicaStalls(shard.front, ids: shard.ids, replica: shard.replica, label: "cluster")
            let fallbacks = try await self.replicaFallbacks(shard.front) - fallbacksBefore
            print("cluster: \(fallbacks) reads retried on the primary")
            #expect(stopped.polls > 100 && loading.polls > 100)
            #expect(stopped.failed == 0, "\(stopped.failures.prefix(5))")
            #expect(loading.failed == 0, "\(loading.failures.prefix(5))")
            #expect(fallbacks > 0, "the replica's reads were retried")
            await shard.writer.close()
            await shard.front.child.kill()
            await shard.cluster.stop()
        }

        /// A cluster, a front reading from replicas, and ten jobs in the shard of one replica.
        private func replicaShard(_ name: String) async throws -> (cluster: RedisCluster, front: Front, writer: JobWriter, replica: RedisServer, primary: RedisServer, ids: [String]) {
            let cluster = try await RedisCluster.start(name)
            let front = try await self.front("cluster-\(name)", cluster, environment: ["REDIS_READ_FROM": "replica"])
            let writer = try await cluster.writer()
            let victim = try #require(try await cluster.nodes().first { !$0.isPrimary })
            let primary = try #require(try await cluster.nodes().first { $0.id == victim.primaryID })
            let ids = RedisCluster.ids(inSlot: primary.slots[0].lowerBound, count: 10)
            for id in ids {
                _ = try await writer.create(id: id, owner: "mis-1")
            }
            #expect(await eventually(timeout: .seconds(3)) { (try? await front.get("/api/jobs/\(ids[9])"))?.status == 200 })
            return (cluster, front, writer, cluster.server(port: victim.port), cluster.server(port: primary.port), ids)
        }

        private func replicaFallbacks(_ front: Front) async throws -> Int {
            let metrics = try await front.get("/metrics", token: nil).body
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("jobstatus_redis_replica_fallbacks_total") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
        }

        @Test("a slot migrated while polls run: ASK and MOVED are followed, zero polls fail")
        func slotMigration() async throws {
            let cluster = try await RedisCluster.start("migration")
            let front = try await self.front("cluster-migration", cluster)
            let writer = try await cluster.writer()
            let slot = HashSlot.slot(for: "job:\(uniqueID())")
            let ids = RedisCluster.ids(inSlot: slot, count: 12)
            for id in ids {
                _ = try await writer.create(id: id, owner: "mis-1")
            }
            let source = try await cluster.primary(forSlot: slot)
            let target = try #require(try await cluster.nodes().first { $0.isPrimary && $0.id != source.id })
            let sourceServer = cluster.server(port: source.port)
            let targetServer = cluster.server(port: target.port)
            let askingBefore = try await targetServer.calls(of: "asking")

            let load = try PollLoad.start(front, ids: ids)
            try await Task.sleep(for: .milliseconds(500))
            _ = try await targetServer.command(["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", source.id])
            _ = try await sourceServer.command(["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", target.id])
            // One key at a time, with pauses, so polls meet the slot half-migrated (ASK).
            while let key = try await sourceServer.command(["CLUSTER", "GETKEYSINSLOT", "\(slot)", "1"]).array?.first?.string {
                _ = try await sourceServer.command(["MIGRATE", "127.0.0.1", "\(target.port)", "", "0", "5000", "KEYS", key])
                try await Task.sleep(for: .milliseconds(80))
            }
            // The documented order: the target first, then the source, then everyone else.
            for server in [targetServer, sourceServer] + cluster.servers.filter({ $0.port != target.port && $0.port != source.port }) {
                _ = try? await server.command(["CLUSTER", "SETSLOT", "\(slot)", "NODE", target.id])
            }
            try await Task.sleep(for: .seconds(1))
            let result = try await load.finish()
            print("cluster migration: \(result.polls) polls while slot \(slot) moved \(source.port) → \(target.port); failed: \(result.failed) \(result.failures)")
            #expect(result.polls > 100)
            #expect(result.failed == 0, "\(result.failures)")
            #expect(try await targetServer.calls(of: "asking") > askingBefore, "polls met the half-migrated slot and followed ASK")
            for id in ids {
                #expect(try await front.get("/api/jobs/\(id)").status == 200, "readable after the migration (MOVED followed)")
            }
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }

        @Test("long polls and event streams wake up for writes on every node")
        func waitingAcrossNodes() async throws {
            let cluster = try await RedisCluster.start("waiting")
            let front = try await self.front("cluster-waiting", cluster)
            let writer = try await cluster.writer()
            let primaries = try await cluster.nodes().filter(\.isPrimary)
            for primary in primaries {
                let slot = primary.slots[0].lowerBound
                let id = RedisCluster.ids(inSlot: slot, count: 1)[0]
                _ = try await writer.create(id: id)
                let client = try front.client(timeout: .seconds(15))
                try client.send(HTTPTestClient.requestText("/api/jobs/\(id)?wait=10", token: Tokens.owner))
                try await Task.sleep(for: .milliseconds(300))
                let written = ContinuousClock.now
                _ = try await writer.processed(id: id, responseData: #"{"node":\#(primary.port)}"#)
                let response = try await client.readResponse()
                #expect(response.status == 200)
                // Half the wait: woken by the write, not by the deadline.
                #expect(ContinuousClock.now - written < .seconds(5), "woken by the write on \(primary.port)")
            }
            let streamed = RedisCluster.ids(inSlot: primaries[1].slots[0].lowerBound, count: 1)[0]
            _ = try await writer.create(id: streamed)
            let stream = try front.client(timeout: .seconds(10))
            try stream.send(HTTPTestClient.requestText("/api/jobs/\(streamed)/events", token: Tokens.owner))
            _ = try await stream.readStreamHead()
            #expect(try await stream.readChunk().contains("id: 1"))
            _ = try await writer.failedWithError(id: streamed, message: "boom")
            #expect(try await stream.readChunk().contains("failed_with_error"))
            #expect(try await stream.readChunk() == "")
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }

        @Test("a primary is killed: its replica takes over, the front answers again within failover + 2 s, no replicated write is lost")
        func failover() async throws {
            let cluster = try await RedisCluster.start("failover")
            let front = try await self.front("cluster-failover", cluster)
            let writer = try await cluster.writer()
            let victim = try #require(try await cluster.nodes().first(where: \.isPrimary))
            let slot = victim.slots[0].lowerBound
            let ids = RedisCluster.ids(inSlot: slot, count: 20)
            let replicated = try await cluster.replicatedWriter()
            for id in ids {
                _ = try await replicated.create(id: id, owner: "mis-1")
                _ = try await replicated.processed(id: id, links: [JobLink(entity: "e", href: "/e/\(id)")])
            }
            await replicated.close()
            #expect(try await front.get("/api/jobs/\(ids[0])").status == 303)

            let load = try PollLoad.start(front, ids: ids)
            cluster.server(port: victim.port).child.signal(SIGKILL)
            let killed = ContinuousClock.now
            var failoverDone: ContinuousClock.Instant?
            var serviceBack: ContinuousClock.Instant?
            while ContinuousClock.now - killed < .seconds(30) && (failoverDone == nil || serviceBack == nil) {
                if failoverDone == nil, let nodes = try? await cluster.nodes(),
                    nodes.contains(where: { $0.isPrimary && !$0.failed && $0.port != victim.port && $0.slots.contains { $0.contains(slot) } })
                {
                    failoverDone = ContinuousClock.now
                }
                if failoverDone != nil, serviceBack == nil, (try? await front.get("/api/jobs/\(ids[1])"))?.status == 303 {
                    serviceBack = ContinuousClock.now
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let done = try #require(failoverDone, "the replica was not promoted")
            let back = try #require(serviceBack, "the front did not answer again")
            print("cluster failover: replica promoted \(done - killed) after the kill; the front answered again \(back - done) later")
            // Both instants are the test's own 50 ms probes: 5 s tells "followed the promotion"
            // from "stuck on the dead node" (0.004 s is typical) whatever the test's stalls.
            #expect(back - done < .seconds(5))
            let result = try await load.finish()
            print("cluster failover: \(result.polls) polls during the failover, \(result.failed) answered 503 or failed while no primary served the slot")
            // Each event loop of the front reads the slot map on its own (every 500 ms while the
            // map names a dead primary): the first 303 shows one loop back, and a poll that lands
            // on another may find it a refresh behind. Every write must be served once each loop
            // has followed, well within 5 s.
            for id in ids {
                let served = await eventually(timeout: .seconds(5)) { (try? await front.get("/api/jobs/\(id)"))?.status == 303 }
                #expect(served, "\(id): every replicated write survived")
            }
            print("cluster failover: all \(ids.count) replicated writes served \(ContinuousClock.now - back) after the first 303")
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }

        @Test("a list of 100 jobs over 3 primaries, one HMGET per job on its own node; a primary killed: the list answers 503 as a whole until its replica serves, then whole again")
        func jobList() async throws {
            let cluster = try await RedisCluster.start("list")
            let front = try await self.front("cluster-list", cluster, environment: ["REDIS_TIMEOUT": "1s"])
            let writer = try await cluster.replicatedWriter()
            var ids: [String] = []
            for index in 0..<100 {
                let id = try await writer.create(owner: "mis-1").id
                if index % 3 == 0 { _ = try await writer.processed(id: id, links: [JobLink(entity: "e", href: "/e/\(index)")]) }
                ids.append(id)
            }
            let path = "/api/jobs?ids=" + ids.joined(separator: ",")
            var readsBefore: [Int: Int] = [:]
            let primaries = try await cluster.nodes().filter(\.isPrimary)
            for primary in primaries { readsBefore[primary.port] = try await cluster.server(port: primary.port).calls(of: "hmget") }
            let started = ContinuousClock.now
            let list = try await front.get(path)
            let took = ContinuousClock.now - started
            #expect(list.status == 200)
            let statuses = (list.json?["data"] as? [[String: Any]] ?? []).map { $0["status"] as? String ?? "?" }
            #expect(statuses == (0..<100).map { $0 % 3 == 0 ? "processed" : "pending" })
            var readsPerPrimary: [Int] = []
            for primary in primaries {
                readsPerPrimary.append(try await cluster.server(port: primary.port).calls(of: "hmget") - (readsBefore[primary.port] ?? 0))
            }
            print("cluster job list: 100 ids answered in \(took); HMGETs per primary \(readsPerPrimary)")
            #expect(readsPerPrimary.reduce(0, +) == 100)
            #expect(readsPerPrimary.allSatisfy { $0 > 10 }, "the ids' keys live on every primary")

            let victim = primaries[0]
            cluster.server(port: victim.port).child.signal(SIGKILL)
            let killed = ContinuousClock.now
            var answers: [Int: Int] = [:]
            var firstUnavailable: ContinuousClock.Instant?
            var lastUnavailable: ContinuousClock.Instant?
            var wholeAgain: ContinuousClock.Instant?
            var partial = 0
            while ContinuousClock.now - killed < .seconds(30), wholeAgain == nil {
                let response = try await front.get(path)
                answers[response.status, default: 0] += 1
                if response.status == 503 {
                    firstUnavailable = firstUnavailable ?? ContinuousClock.now
                    lastUnavailable = ContinuousClock.now
                    #expect(response.header("Retry-After") == "1")
                } else if response.status == 200 {
                    let items = response.json?["data"] as? [[String: Any]] ?? []
                    if items.count != 100 || items.contains(where: { ($0["status"] as? String) == "not_found" }) { partial += 1 }
                    if firstUnavailable != nil { wholeAgain = ContinuousClock.now }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let back = try #require(wholeAgain, "the list never answered again")
            print(
                "cluster job list, a primary killed: answers by status \(answers.sorted { $0.key < $1.key }); 503 from \((firstUnavailable ?? killed) - killed) "
                    + "to \((lastUnavailable ?? killed) - killed) after the kill, whole again \(back - killed) after it; \(partial) partial lists"
            )
            #expect(partial == 0, "a list is whole or 503, never partial")
            #expect(Set(answers.keys).isSubset(of: [200, 503]))
            await writer.close()
            await front.child.kill()
            await cluster.stop()
        }
    }
}
