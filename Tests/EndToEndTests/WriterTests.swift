import Foundation
import JobStatusCore
import JobStatusWriter
import RedisWire
import Testing

extension RedisOnly {
    /// The worker API against a real Redis: the write script's transition rules, TTLs, limits.
    @Suite("Writer and write script")
    struct WriterTests {
        private func environment() async throws -> (RedisServer, JobWriter) {
            let (redis, _, writer) = try await SharedEnvironment.shared.get()
            return (redis, writer)
        }

        private func field(_ redis: RedisServer, _ id: String, _ name: String) async throws -> String? {
            try await redis.command(["HGET", "job:\(id)", name]).string
        }

        private func ttl(_ redis: RedisServer, _ id: String) async throws -> Int64 {
            try await redis.command(["TTL", "job:\(id)"]).integer ?? -3
        }

        @Test("create: a pending record with version 1, its eta, owner, timestamps and the pending TTL")
        func create() async throws {
            let (redis, writer) = try await self.environment()
            let result = try await writer.create(owner: "mis-1", eta: .after(.seconds(90)))
            #expect(result.outcome == .created)
            #expect(result.version == 1)
            #expect(result.id.utf8.count == 22)
            let all = try await redis.command(["HGETALL", "job:\(result.id)"]).array?.compactMap(\.string) ?? []
            let fields = Dictionary(uniqueKeysWithValues: stride(from: 0, to: all.count, by: 2).map { (all[$0], all[$0 + 1]) })
            #expect(fields["status"] == "pending")
            #expect(fields["owner"] == "mis-1")
            #expect(fields["version"] == "1")
            #expect(fields["created_at"] != nil && fields["created_at"] == fields["updated_at"])
            let eta = try #require(fields["eta"].flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) })
            #expect(abs(eta.timeIntervalSinceNow - 90) < 10)
            let ttl = try await self.ttl(redis, result.id)
            #expect(ttl > 86_000 && ttl <= 86_400)
        }

        @Test("create refuses a taken id and changes nothing")
        func createTwice() async throws {
            let (redis, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "a")
            await #expect(throws: JobWriteError.self) { try await writer.create(id: id, owner: "b") }
            #expect(try await self.field(redis, id, "owner") == "a")
        }

        @Test("progress refreshes eta and TTL of a pending job and bumps the version")
        func progress() async throws {
            let (redis, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id, ttl: .seconds(60))
            let result = try await writer.progress(id: id, eta: .at(Date(timeIntervalSince1970: 2_000_000_000)), ttl: .seconds(600))
            #expect(result.version == 2)
            #expect(try await self.field(redis, id, "eta") == "2033-05-18T03:33:20.000Z")
            #expect(try await self.ttl(redis, id) > 500)
        }

        @Test("terminal writes: the terminal TTL; an identical repeat is a no-op; anything else is refused")
        func terminal() async throws {
            let (redis, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let links = [JobLink(entity: "encounter", href: "/e/1")]
            let first = try await writer.processed(id: id, links: links)
            #expect(first.outcome == .updated)
            #expect(first.version == 2)
            let ttl = try await self.ttl(redis, id)
            #expect(ttl > 604_000 && ttl <= 604_800)
            let repeated = try await writer.processed(id: id, links: links)
            #expect(repeated == JobWriteResult(id: id, version: 2, outcome: .unchanged))
            for attempt in [
                { try await writer.processed(id: id, links: [JobLink(entity: "encounter", href: "/e/2")]) },
                { try await writer.failed(id: id, statusCode: 404, error: .message("x")) },
                { try await writer.progress(id: id) },
            ] as [() async throws -> JobWriteResult] {
                do {
                    _ = try await attempt()
                    Issue.record("expected a refusal")
                } catch let error as JobWriteError {
                    guard case .refused = error else { throw error }
                }
            }
            #expect(try await self.field(redis, id, "version") == "2")
            #expect(try await self.field(redis, id, "links") == #"[{"entity":"encounter","href":"/e/1"}]"#)
        }

        @Test("writes to an unknown or expired job are refused as not found")
        func unknown() async throws {
            let (_, writer) = try await self.environment()
            do {
                _ = try await writer.processed(id: uniqueID(), responseData: "{}")
                Issue.record("expected not found")
            } catch {
                guard case .notFound = error else { throw error }
            }
        }

        @Test(
            "failed: 422 needs the validation object; a 409 or 500 string is stored as its object; others a string or {type, message}; objects carry nothing else",
            arguments: [
                (422, #"{"type":"validation_failed","message":"m"}"#, false),
                (422, #""Validation failed""#, false),
                (422, #"{"type":"validation_failed","message":"m","invalid":[{"entry_type":"json_data_property","entry":"$.a","rules":[{"rule":"required","params":[],"description":"must be present"}]}]}"#, true),
                (409, #""conflict""#, true),
                (500, #""database unreachable""#, true),
                (409, #"{"type":"request_conflict","message":"Version mismatch"}"#, true),
                (403, #""Access denied""#, true),
                (404, #"{"type":"not_found","message":"Patient not found"}"#, true),
                (403, "[1,2]", false),
                (404, #"{"code":"P404"}"#, false),
                (404, #"{"type":"not_found","message":"m","detail":"x"}"#, false),
                (503, #"{"type":"upstream_unavailable","message":"m"}"#, true),
                (409, #"{"type":"request_conflict","message":"m","invalid":[]}"#, false),
                (200, #""ok""#, false),
                (600, #""x""#, false),
            ]
        )
        func failedShapes(code: Int, error: String, accepted: Bool) async throws {
            let (redis, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let failure: JobFailure = error.hasPrefix("\"") ? .message(String(error.dropFirst().dropLast())) : .json(error)
            do {
                _ = try await writer.failed(id: id, statusCode: code, error: failure)
                #expect(accepted, "\(code) \(error) should have been refused")
                // As the live eHealth system shows them: a 409 string is a request_conflict, a 500 string an internal_error.
                let stored =
                    switch (code, error.hasPrefix("\"")) {
                    case (409, true): #"{"type":"request_conflict","message":\#(error)}"#
                    case (500, true): #"{"type":"internal_error","message":\#(error)}"#
                    default: error
                    }
                #expect(try await self.field(redis, id, "error") == stored)
            } catch let writeError as JobWriteError {
                #expect(!accepted, "\(code) \(error): \(writeError)")
                guard case .invalidArgument = writeError else { throw writeError }
                #expect(try await self.field(redis, id, "status") == "pending", "a refused write changes nothing")
            }
        }

        @Test(
            "the script itself refuses what Redis' lenient cjson would take and the front could not serve",
            arguments: [
                ("0x10", false), ("Infinity", false), ("NaN", false), ("-01", false), ("5e65655", false),
                (#"[1, -2e308]"#, false), ("\"raw\ttab\"", false), ("\"raw\u{01}control\"", false), (#""\x""#, false),
                (#"{"a":1}x"#, false), (#"{"ok":[1e308, 0.5, "Пацієнт 😀", "\u00e9\n"]}"#, true),
            ]
        )
        func strictJSON(text: String, accepted: Bool) async throws {
            // links and error go through the same scanner before their shape is looked at.
            let (redis, _) = try await self.environment()
            let id = uniqueID()
            _ = try await redis.command(["EVAL", WriteScript.source, "1", "job:\(id)", "create", "eta", "2026-11-28T10:00:00.000Z"])
            do {
                _ = try await redis.command(["EVAL", WriteScript.source, "1", "job:\(id)", "processed", "response_data", text])
                #expect(accepted, "\(text) should have been refused")
                #expect(try await self.field(redis, id, "response_data") == text)
            } catch {
                #expect(!accepted, "\(text): \(error)")
                #expect("\(error)".contains("INVALID response_data must be strict JSON"), "\(error)")
                #expect(try await self.field(redis, id, "status") == "pending", "a refused write changes nothing")
            }
        }

        @Test("the script refuses invalid UTF-8 (a Python worker sends bytes) and keeps valid UTF-8 verbatim")
        func strictUTF8() async throws {
            let (redis, _) = try await self.environment()
            let check = """
                import sys, redis
                r = redis.Redis.from_url(sys.argv[1])
                script = open(sys.argv[2], "rb").read()
                cases = [b'"\\xc3"', b'"\\xc0\\xaf"', b'"\\xed\\xa0\\x80"', b'"\\xf4\\x90\\x80\\x80"', b'"\\xff"',
                         b'"\\xe1\\xc3\\xa9"', b'"\\xc3\\xa9\\xa9"', "\\"Пацієнт € 😀\\"".encode()]
                for n, case in enumerate(cases):
                    key = f"job:utf8-{sys.argv[3]}-{n}"
                    r.eval(script, 1, key, "create", "eta", "2026-11-28T10:00:00.000Z")
                    try:
                        r.eval(script, 1, key, "processed", "response_data", case)
                        print("accepted", r.hget(key, "response_data") == case)
                    except redis.ResponseError as error:
                        print("refused", str(error).split()[0], r.hget(key, "status").decode())
                """
            let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../Sources/JobStatusCore/Resources/jobstatus_write.lua").standardized.path
            let result = try await runProcess("/usr/bin/env", ["python3", "-c", check, redis.adminURL, scriptPath, uniqueID()])
            #expect(result.status == 0, "\(result.error)")
            let lines = result.output.split(separator: "\n")
            #expect(lines.dropLast() == Array(repeating: "refused INVALID pending", count: 7), "\(result.output)")
            #expect(lines.last == "accepted True", "\(result.output)")
        }

        @Test("records over 64 KiB are refused, never truncated")
        func tooLarge() async throws {
            let (redis, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let big = #"{"blob":""# + String(repeating: "x", count: WriteScript.maximumPayloadBytes) + #""}"#
            do {
                _ = try await writer.processed(id: id, responseData: big)
                Issue.record("expected a refusal")
            } catch {
                guard case .invalidArgument(let message) = error else { throw error }
                #expect(message.contains("65536"))
            }
            #expect(try await self.field(redis, id, "status") == "pending")
            let fits = #"{"blob":""# + String(repeating: "x", count: WriteScript.maximumPayloadBytes - 12) + #""}"#
            _ = try await writer.processed(id: id, responseData: fits)
        }

        @Test("invalid ids are refused before anything reaches Redis", arguments: ["", "a b", "a/b", String(repeating: "x", count: 65)])
        func invalidIDs(id: String) async throws {
            let (_, writer) = try await self.environment()
            await #expect(throws: JobWriteError.self) { try await writer.create(id: id) }
        }

        @Test("every write publishes '<version> <status>' on the job's channel")
        func publishes() async throws {
            let (redis, writer) = try await self.environment()
            let id = uniqueID()
            let subscriber = try HTTPTestClient(port: redis.port)
            try subscriber.send("SUBSCRIBE job:\(id)\r\n")
            try await Task.sleep(for: .milliseconds(100))
            _ = try await writer.create(id: id)
            _ = try await writer.progress(id: id)
            _ = try await writer.failedWithError(id: id, message: "boom")
            _ = try await writer.failedWithError(id: id, message: "boom")
            try await Task.sleep(for: .milliseconds(200))
            var received = ""
            while true {
                let more = await subscriber.readAvailable(within: .milliseconds(300))
                if more.isEmpty { break }
                received += more
            }
            #expect(received.contains("1 pending"))
            #expect(received.contains("2 pending"))
            #expect(received.contains("3 failed_with_error"))
            #expect(!received.contains("4 "), "a no-op repeat publishes nothing")
        }

        @Test("the script loads itself: EVALSHA falls back to EVAL after SCRIPT FLUSH")
        func noScriptFallback() async throws {
            // A Redis of its own: SCRIPT FLUSH on the shared one would pull the script from under
            // the contract tests that call it by EVALSHA in parallel.
            let redis = try await RedisServer.start("script-flush")
            let writer = try await JobWriter.connect(url: try RedisURL(parsing: redis.url), eventLoop: TestEventLoop.shared, logger: quietLogger)
            _ = try await writer.create()
            _ = try await redis.command(["SCRIPT", "FLUSH"])
            let result = try await writer.create()
            #expect(result.outcome == .created)
            await writer.close()
            await redis.stop()
        }
    }
}
