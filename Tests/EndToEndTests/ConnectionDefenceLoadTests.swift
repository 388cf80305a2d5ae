import Foundation
import JobStatusWriter
import NIOConcurrencyHelpers
import RedisWire
import Testing

#if canImport(Glibc)
import Glibc
#endif


extension LoadTests {
    /// Clients that never read, and a server that stops: what one front costs and what it answers.
    /// Each test prints its figures.
    @Suite("Connection defences", .serialized)
    struct ConnectionDefences {
        @Test("50 clients pipeline without reading for 20 s: memory stays bounded, a polling client is never refused")
        func pipeliningWithoutReading() async throws {
            let (redis, front, writer) = try await PrivateEnvironment.start("pipeline-flood")
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            for _ in 0..<20 { _ = try await front.get("/api/jobs/\(id)") }
            let idle = residentMegabytes(of: front.child.pid)

            let polling = PollingClient(front: front, id: id)
            let monitor = Task { await polling.run() }

            let chunk = Array(
                (String(repeating: "GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n", count: 50)
                    + String(repeating: "GET /api/jobs/\(id) HTTP/1.1\r\nHost: x\r\n\r\n", count: 50)).utf8
            )
            var clients = try (0..<50).map { _ in try RawSocket(port: front.port) }
            var offsets = [Int](repeating: 0, count: clients.count)
            var sent = 0
            var closedByFront = 0
            var peak = idle
            let flooding = ContinuousClock.now
            while ContinuousClock.now - flooding < .seconds(20) {
                for index in clients.indices {
                    guard let written = clients[index].sendSome(chunk[offsets[index]...]) else {
                        // The front closed it (its output went unread for http.write_timeout): come back.
                        closedByFront += 1
                        clients[index] = try RawSocket(port: front.port)
                        offsets[index] = 0
                        continue
                    }
                    sent += written
                    offsets[index] = (offsets[index] + written) % chunk.count
                }
                peak = max(peak, residentMegabytes(of: front.child.pid))
                // A front without defences grows by gigabytes: stop before the machine runs out.
                if peak > idle + 4000 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            clients.removeAll()
            let left = ContinuousClock.now
            var settled = residentMegabytes(of: front.child.pid)
            while settled > idle + 25, ContinuousClock.now - left < .seconds(10) {
                try await Task.sleep(for: .milliseconds(200))
                settled = residentMegabytes(of: front.child.pid)
            }
            let settleTime = ContinuousClock.now - left
            polling.stop()
            let (polls, failures) = await monitor.value

            print(
                "pipelining without reading: 50 clients sent \(sent / 1_000_000) MB in 20 s, \(closedByFront) connections closed by the write timeout; "
                    + "front RSS idle \(Int(idle)) MB, peak \(Int(peak)) MB, \(Int(settled)) MB \(settleTime) after the clients left; "
                    + "polling client: \(polls) polls, \(failures.count) failed"
            )
            #expect(peak < idle + 100, "RSS must stay under idle + 100 MB")
            #expect(settled <= idle + 25, "RSS back near idle within 10 s")
            #expect(polls > 100)
            #expect(failures.isEmpty, "\(failures.prefix(5))")
            await PrivateEnvironment.stop(redis, front, writer)
        }

        @Test("200 connections that never read their answers are all closed within http.write_timeout + 1 s")
        func zeroWindow() async throws {
            let writeTimeout = 3
            let (redis, front, writer) = try await PrivateEnvironment.start("zero-window", front: ["HTTP_WRITE_TIMEOUT": "\(writeTimeout)s"])
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            let baseline = try await front.metric("jobstatus_http_connections") ?? -1

            let document = "GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n"
            let poll = "GET /api/jobs/\(id) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Tokens.owner)\r\n\r\n"
            // Three shapes of unread output: big answers, many small ones, and answers that end in a close.
            let payloads: [(String, [UInt8])] = [
                ("100 documents", Array(String(repeating: document, count: 100).utf8)),
                ("100 polls", Array(String(repeating: poll, count: 100).utf8)),
                ("documents, then Connection: close", Array((String(repeating: document, count: 4) + "GET /openapi.yaml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").utf8)),
            ]
            var clients: [(shape: Int, socket: RawSocket)] = []
            for index in 0..<200 {
                clients.append((index % 3, try RawSocket(port: front.port)))
            }
            await withTaskGroup(of: Void.self) { group in
                for client in clients {
                    let socket = client.socket
                    let bytes = payloads[client.shape].1
                    nonisolated(unsafe) let unsafeSocket = socket
                    group.addTask { _ = await unsafeSocket.sendAll(bytes) }
                }
            }
            // The clock starts at the front's last answer: when its answered-requests counter stops.
            // The loop runs until both ends are seen: a scrape taken just before the last sockets
            // close still counts them, and the kernel's table can empty before the next scrape.
            let sent = ContinuousClock.now
            var lastAnswer = sent
            var answered = -1.0
            var open = 0.0
            var releasedAt: ContinuousClock.Instant?
            var goneAt: ContinuousClock.Instant?
            while ContinuousClock.now - lastAnswer < .seconds(writeTimeout + 5), releasedAt == nil || goneAt == nil {
                let metrics = try await front.metrics()
                let count = metrics.sum("jobstatus_http_requests_total", excluding: #"route="metrics""#)
                if count != answered {
                    answered = count
                    lastAnswer = ContinuousClock.now
                    open = metrics.value("jobstatus_http_connections") ?? -1
                }
                if releasedAt == nil, let now = metrics.value("jobstatus_http_connections"), now <= baseline {
                    releasedAt = ContinuousClock.now
                }
                if goneAt == nil, serverSockets(port: front.port) == 0 {
                    goneAt = ContinuousClock.now
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let releasedAfter = releasedAt.map { $0 - lastAnswer }
            let goneAfter = goneAt.map { $0 - lastAnswer }
            // A client learns of it when it next sends: the reset (unless its own unsent requests are
            // still queued behind the window the front closed, which the kernel retries later).
            var endedByShape = [0, 0, 0]
            for client in clients {
                _ = client.socket.sendSome([0x0D])
            }

            try await Task.sleep(for: .milliseconds(100))
            for client in clients where client.socket.isClosedByPeer {
                endedByShape[client.shape] += 1
            }
            print(
                "zero-window clients: 200 connections (\(payloads.map(\.0).joined(separator: ", "))), "
                    + "\(Int(answered)) answered until \(lastAnswer - sent) after the last request was sent, \(Int(open - baseline)) open then; "
                    + "released by the front after \(releasedAfter.map { "\($0)" } ?? "never"), gone from the kernel after \(goneAfter.map { "\($0)" } ?? "never"), both from the last answer "
                    + "(http.write_timeout \(writeTimeout) s); ended as the clients see it: \(endedByShape) per shape"
            )
            let released = try #require(releasedAfter, "the front never released the connections")
            let gone = try #require(goneAfter, "the kernel still holds sockets of closed connections")
            #expect(released <= .seconds(writeTimeout + 1))
            #expect(gone <= .seconds(writeTimeout + 1))
            #expect(front.child.isRunning)
            #expect(try await front.get("/api/jobs/\(id)").status == 200)
            await PrivateEnvironment.stop(redis, front, writer)
        }

        @Test("SIGTERM with 1,000 held requests — parked, streaming, subscribing, reading: all answered, exit 0 in time")
        func shutdownAnswersEveryone() async throws {
            let shutdownTimeout = 10
            let (redis, front, writer) = try await PrivateEnvironment.start(
                "shutdown-held",
                front: ["LIMITS_MAX_WAITERS_PER_CLIENT": "5000", "HTTP_SHUTDOWN_TIMEOUT": "\(shutdownTimeout)s"]
            )
            let jobs = (0..<100).map { _ in uniqueID() }
            for job in jobs { _ = try await writer.create(id: job, owner: "mis-1") }
            let late = (0..<100).map { _ in uniqueID() }
            for job in late { _ = try await writer.create(id: job, owner: "mis-1") }
            let answers = NIOLockedValueBox<[HTTPLoad.Answer]>([])
            let token = "Authorization: Bearer \(Tokens.owner)\r\n"
            func hold(_ path: String, into group: inout TaskGroup<Void>) {
                let request = "GET \(path) HTTP/1.1\r\nHost: x\r\n\(token)\r\n"
                let port = front.port
                group.addTask {
                    let answer = await HTTPLoad.send(request, port: port)
                    answers.withLockedValue { $0.append(answer) }
                }
            }
            var terminated = ContinuousClock.now
            var exitStatus: Int32?
            await withTaskGroup(of: Void.self) { group in
                // 700 parked long polls and 100 parked event streams.
                for index in 0..<700 { hold("/api/jobs/\(jobs[index % jobs.count])?wait=30", into: &group) }
                for index in 0..<100 { hold("/api/jobs/\(jobs[index])/events", into: &group) }
                _ = await eventually(timeout: .seconds(20)) {
                    ((try? await front.metric("jobstatus_waiters")) ?? 0) >= 800
                }
                // Redis stops answering: new long polls stay subscribing, new polls stay reading.
                redis.pause()
                for job in late { hold("/api/jobs/\(job)?wait=30", into: &group) }
                for job in late { hold("/api/jobs/\(job)", into: &group) }
                // Every request has its connection (the 200 new ones wait in their phases).
                _ = await eventually(timeout: .seconds(20)) {
                    ((try? await front.metric("jobstatus_http_connections")) ?? 0) >= 1000
                }
                try? await Task.sleep(for: .milliseconds(100))
                terminated = ContinuousClock.now
                front.child.signal(SIGTERM)
                try? await Task.sleep(for: .milliseconds(100))
                redis.resume()
                exitStatus = await front.child.waitForExit(timeout: .seconds(shutdownTimeout + 5))
            }
            let exited = ContinuousClock.now - terminated
            let all = answers.withLockedValue { $0 }
            let byStatus = Dictionary(grouping: all, by: \.status).mapValues(\.count)
            let closing = all.filter(\.closes).count
            print(
                "SIGTERM with 1000 held requests (700 parked long polls, 100 streams, 100 subscribing, 100 reading): "
                    + "\(all.count) answered, by status \(byStatus.sorted { $0.key < $1.key }), \(closing) with Connection: close; "
                    + "exit \(exitStatus.map(String.init) ?? "none") after \(exited)"
            )
            #expect(all.count == 1000)
            #expect(byStatus[0] == nil, "no request is left without an answer")
            #expect(exitStatus == 0)
            #expect(exited < .seconds(shutdownTimeout))
            await writer.close()
            await redis.stop()
        }
    }

}

/// A well-behaved client polling one job every 20 ms on one keep-alive connection.
final class PollingClient: @unchecked Sendable {
    private let front: Front
    private let id: String
    private let stopped = NIOLockedValueBox(false)

    init(front: Front, id: String) {
        self.front = front
        self.id = id
    }

    func stop() {
        self.stopped.withLockedValue { $0 = true }
    }

    /// Polls until stopped: the number of polls and what went wrong.
    func run() async -> (polls: Int, failures: [String]) {
        var polls = 0
        var failures: [String] = []
        guard let client = try? self.front.client(timeout: .seconds(5)) else { return (0, ["cannot connect"]) }
        while !self.stopped.withLockedValue({ $0 }) {
            do {
                let response = try await client.request("/api/jobs/\(self.id)", token: Tokens.owner)
                polls += 1
                if response.status != 200 { failures.append("status \(response.status)") }
            } catch {
                failures.append("\(error)")
                return (polls, failures)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return (polls, failures)
    }
}

extension Front {
    /// The value of an unlabelled metric from `/metrics`.
    func metric(_ name: String) async throws -> Double? {
        try await self.metrics().value(name)
    }

    /// One scrape of `/metrics`.
    func metrics() async throws -> MetricsScrape {
        MetricsScrape(text: try await self.get("/metrics", token: nil).body)
    }
}

/// The Prometheus text of one scrape.
struct MetricsScrape {
    let text: String

    /// The value of an unlabelled series.
    func value(_ name: String) -> Double? {
        let line = self.text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// The sum of every series of `name`, except those whose labels contain `excluded`.
    func sum(_ name: String, excluding excluded: String) -> Double {
        self.text.split(separator: "\n")
            .filter { $0.hasPrefix(name + "{") && !$0.contains(excluded) }
            .compactMap { Double($0.split(separator: " ").last ?? "") }
            .reduce(0, +)
    }
}
