import Foundation
import JobStatusWriter
import Testing

extension RedisOnly {
    /// Every row of the design table, through the real binary and a real Redis.
    @Suite("Read path: every job state, byte for byte")
    struct ReadPathTests {
        private func environment() async throws -> (redis: RedisServer, front: Front, writer: JobWriter) {
            try await SharedEnvironment.shared.get()
        }

        private func meta(_ response: HTTPTestResponse) throws -> [String: Any] {
            try #require(response.json?["meta"] as? [String: Any])
        }

        private func data(_ response: HTTPTestResponse) throws -> [String: Any] {
            try #require(response.json?["data"] as? [String: Any])
        }

        @Test("pending: 200 with status, eta and the job's own link, nothing else")
        func pending() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1", eta: .at(Date(timeIntervalSince1970: 1_533_206_716)))
            let response = try await front.get("/api/jobs/\(id)", headers: [("X-Request-ID", "req-adasdoijasdojsda")])
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json; charset=utf-8")
            let expected = """
                {"data":{"status":"pending","eta":"2018-08-02T10:45:16.000Z","links":[{"entity":"job","href":"/api/jobs/\(id)"}]},\
                "meta":{"code":200,"url":"http://localhost/api/jobs/\(id)","type":"object","request_id":"req-adasdoijasdojsda"}}
                """
            #expect(response.body == expected)
            #expect(response.header("X-Request-ID") == "req-adasdoijasdojsda")
            #expect(response.header("Location") == nil)
        }

        @Test("processed with links: 303, the envelope in the body, no Location by default")
        func processedLinks() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id, eta: .at(Date(timeIntervalSince1970: 1_533_206_716)))
            _ = try await writer.processed(
                id: id,
                links: [JobLink(entity: "encounter", href: "/api/patients/p/encounters/e"), JobLink(entity: "condition", href: "/c")]
            )
            let response = try await front.get("/Jobs/\(id)", headers: [("X-Request-ID", "r1")])
            #expect(response.status == 303)
            #expect(response.header("Location") == nil)
            let expected = """
                {"data":{"status":"processed","eta":"2018-08-02T10:45:16.000Z","status_code":"200",\
                "links":[{"entity":"encounter","href":"/api/patients/p/encounters/e"},{"entity":"condition","href":"/c"}]},\
                "meta":{"code":303,"url":"http://localhost/Jobs/\(id)","type":"object","request_id":"r1"}}
                """
            #expect(response.body == expected)
        }

        @Test("processed with response_data: 200 and the data inline")
        func processedInline() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            _ = try await writer.processed(id: id, responseData: #"{"declaration_id":"d-1","n":[1,2,3]}"#)
            let response = try await front.get("/api/jobs/\(id)")
            #expect(response.status == 200)
            let data = try self.data(response)
            #expect(Set(data.keys) == ["status", "eta", "status_code", "response_data"])
            #expect(data["status"] as? String == "processed")
            #expect(data["status_code"] as? String == "200")
            #expect((data["response_data"] as? [String: Any])?["declaration_id"] as? String == "d-1")
            #expect(try self.meta(response)["code"] as? Int == 200)
        }

        @Test("failed 403 and 404 carry a string error; status_code is a string", arguments: [403, 404])
        func failedWithMessage(code: Int) async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            _ = try await writer.failed(id: id, statusCode: code, error: .message("Error description"))
            let response = try await front.get("/api/jobs/\(id)")
            #expect(response.status == 200)
            let data = try self.data(response)
            #expect(Set(data.keys) == ["status", "eta", "status_code", "error"])
            #expect(data["status"] as? String == "failed")
            #expect(data["status_code"] as? String == "\(code)")
            #expect(data["error"] as? String == "Error description")
            #expect(try self.meta(response)["code"] as? Int == 200)
        }

        @Test("failed 409 carries {type, message}; 422 the validation object, verbatim")
        func failedWithObjects() async throws {
            let (_, front, writer) = try await self.environment()
            let conflict = uniqueID()
            _ = try await writer.create(id: conflict)
            _ = try await writer.failed(id: conflict, statusCode: 409, error: .json(#"{"type":"request_conflict","message":"Version mismatch"}"#))
            let conflictData = try self.data(try await front.get("/api/jobs/\(conflict)"))
            #expect((conflictData["error"] as? [String: String]) == ["type": "request_conflict", "message": "Version mismatch"])

            let validation = uniqueID()
            let object = """
                {"type":"validation_failed","message":"Validation failed. You can find validators description at our API Manifest: http://docs.apimanifest.apiary.io/#introduction/interacting","invalid":[{"entry_type":"json_data_proprty","entry":"$.cvv","rules":[{"rule":"required","params":[],"description":"must be present"}]}]}
                """
            _ = try await writer.create(id: validation)
            _ = try await writer.failed(id: validation, statusCode: 422, error: .json(object))
            let response = try await front.get("/api/jobs/\(validation)")
            #expect(response.body.contains(#""error":\#(object)"#), "the stored JSON is emitted byte for byte")
            #expect(try self.data(response)["status_code"] as? String == "422")
        }

        @Test("failed_with_error: status_code \"500\" and {type: internal_error, message}")
        func failedWithError() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            _ = try await writer.failedWithError(id: id, message: "worker crashed: \"oom\"")
            let data = try self.data(try await front.get("/api/jobs/\(id)"))
            #expect(data["status"] as? String == "failed_with_error")
            #expect(data["status_code"] as? String == "500")
            #expect((data["error"] as? [String: String]) == ["type": "internal_error", "message": "worker crashed: \"oom\""])
        }

        @Test("unknown, expired and malformed ids: 404 with a top-level error")
        func notFound() async throws {
            let (redis, front, writer) = try await self.environment()
            let expired = uniqueID()
            _ = try await writer.create(id: expired, ttl: .seconds(3))
            #expect(try await front.get("/api/jobs/\(expired)").status == 200)
            #expect(await eventually(timeout: .seconds(8)) { (try? await front.get("/api/jobs/\(expired)"))?.status == 404 })

            let unknown = try await front.get("/api/jobs/\(uniqueID())", headers: [("X-Request-ID", "rq")])
            #expect(unknown.status == 404)
            #expect(unknown.json?["data"] == nil)
            #expect((unknown.json?["error"] as? [String: String]) == ["type": "not_found", "message": "Job not found"])
            #expect(try self.meta(unknown)["code"] as? Int == 404)

            let monitor = try HTTPTestClient(port: redis.port)
            try monitor.send("MONITOR\r\n")
            _ = await monitor.readAvailable()
            let malformedIDs = ["a%20b", "a.b", String(repeating: "x", count: 65), "%00", "..", "caf%C3%A9"]
            for malformed in malformedIDs {
                let response = try await front.get("/api/jobs/\(malformed)")
                #expect(response.status == 404, "\(malformed)")
                #expect((response.json?["error"] as? [String: String])?["type"] == "not_found")
            }
            // A valid id afterwards: once its read shows up in MONITOR, every earlier read would have.
            let marker = uniqueID()
            _ = try await front.get("/api/jobs/\(marker)")
            // The shared Redis serves every suite: MONITOR can stream megabytes meanwhile, so each
            // chunk is searched as it comes (with the end of the one before), not the whole so far.
            var commands = ""
            var found = false
            var tail = ""
            let deadline = ContinuousClock.now + .seconds(20)
            while !found && ContinuousClock.now < deadline {
                let chunk = await monitor.readAvailable()
                found = (tail + chunk).contains(marker)
                tail = String(chunk.suffix(200))
                commands += chunk
            }
            #expect(found)
            for malformed in malformedIDs {
                #expect(!commands.contains("\"job:\(malformed)\""), "\(malformed) reached Redis")
            }
        }

        @Test("authorization: missing, malformed, unknown token and missing scope, with the live texts")
        func authorization() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let cases: [(String?, Int, String, String)] = [
                (nil, 401, "access_denied", "Authorization header is not set or doesn't contain Bearer token"),
                ("Basic dXNlcjpwYXNz", 401, "access_denied", "Authorization header is not set or doesn't contain Bearer token"),
                ("Bearer", 401, "access_denied", "Authorization header is not set or doesn't contain Bearer token"),
                ("Bearer not-a-known-token", 401, "access_denied", "Invalid access token"),
                ("Bearer \(Tokens.noScope)", 403, "forbidden", "Your scope does not allow to access this resource. Missing allowances: job:read"),
            ]
            for (header, status, type, message) in cases {
                let response = try await front.get("/api/jobs/\(id)", token: nil, headers: header.map { [("Authorization", $0)] } ?? [])
                #expect(response.status == status, "\(header ?? "no header")")
                #expect((response.json?["error"] as? [String: String]) == ["type": type, "message": message])
                #expect(try self.meta(response)["code"] as? Int == status)
                let challenge = try #require(response.header("WWW-Authenticate"))
                #expect(challenge.hasPrefix("Bearer"))
                #expect(challenge.contains("insufficient_scope") == (status == 403))
            }
        }

        @Test("ownership: another client's job is a 404 exactly like an unknown one")
        func ownership() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id, owner: "mis-1")
            #expect(try await front.get("/api/jobs/\(id)", token: Tokens.owner).status == 200)
            let foreign = try await front.get("/api/jobs/\(id)", token: Tokens.other, headers: [("X-Request-ID", "same")])
            let unknown = try await front.get("/api/jobs/\(id)x", token: Tokens.other, headers: [("X-Request-ID", "same")])
            #expect(foreign.status == 404)
            #expect(foreign.body == unknown.body.replacingOccurrences(of: "\(id)x", with: id))
        }

        @Test("a record that breaks the contract answers 500 internal_error, never invalid JSON")
        func contractViolations() async throws {
            let (redis, front, _) = try await self.environment()
            let broken: [[String]] = [
                ["status", "processed", "eta", "e", "status_code", "200", "links", "[{\"entity\":"],
                ["status", "weird", "eta", "e"],
                ["eta", "e", "version", "3"],
                ["status", "failed", "eta", "e", "status_code", "422", "error", "not json"],
                ["status", "pending", "eta", "soon"],
                ["status", "failed", "eta", "2026-11-28T10:00:00.000Z", "status_code", "404", "error", "{\"code\":1}"],
                ["status", "processed", "eta", "2026-11-28T10:00:00.000Z", "status_code", "500", "response_data", "{}"],
            ]
            for fields in broken {
                let id = uniqueID()
                _ = try await redis.command(["HSET", "job:\(id)"] + fields)
                let response = try await front.get("/api/jobs/\(id)")
                #expect(response.status == 500, "\(fields)")
                #expect((response.json?["error"] as? [String: String])?["type"] == "internal_error")
            }
            let wrongType = uniqueID()
            _ = try await redis.command(["SET", "job:\(wrongType)", "a string, not a hash"])
            #expect(try await front.get("/api/jobs/\(wrongType)").status == 500)
            #expect(front.child.log.contains("job record breaks the record contract"))
        }

        @Test("unknown paths: 404 error envelope; other methods on a job path: 405 with Allow")
        func routing() async throws {
            let (_, front, _) = try await self.environment()
            for path in ["/", "/api/jobsx", "/api/jobs/a/b", "/api/job/x", "/metrics-nope"] {
                let response = try await front.get(path)
                #expect(response.status == 404, "\(path)")
                #expect((response.json?["error"] as? [String: String])?["type"] == "not_found")
            }
            for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
                let client = try front.client()
                let path = method == "POST" ? "/api/jobs?ids=abc" : "/api/jobs/abc"
                try client.send("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
                let response = try await client.readResponse()
                #expect(response.status == 405, "\(method)")
                #expect(response.header("Allow") == "GET, HEAD")
                #expect((response.json?["error"] as? [String: String])?["type"] == "method_not_allowed")
            }
        }

        @Test("HEAD answers the same status and headers as GET, without a body")
        func head() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            _ = try await writer.processed(id: id, links: [JobLink(entity: "e", href: "/h")])
            let client = try front.client()
            let get = try await client.request("/api/jobs/\(id)", token: Tokens.owner, headers: [("X-Request-ID", "h")])
            let head = try await client.request("/api/jobs/\(id)", method: "HEAD", token: Tokens.owner, headers: [("X-Request-ID", "h")])
            #expect(head.status == 303)
            #expect(head.body.isEmpty)
            #expect(head.header("Content-Length") == get.header("Content-Length"))
            // The connection is still in step: a further request on it works.
            #expect(try await client.request("/health/live").status == 200)
        }

        @Test("keep-alive: many requests on one connection")
        func keepAlive() async throws {
            let (_, front, writer) = try await self.environment()
            let id = uniqueID()
            _ = try await writer.create(id: id)
            let client = try front.client()
            for index in 0..<50 {
                let response = try await client.request("/api/jobs/\(id)", token: Tokens.owner, headers: [("X-Request-ID", "k\(index)")])
                #expect(response.status == 200)
                #expect(response.header("X-Request-ID") == "k\(index)")
            }
        }

        @Test("pipelining: requests sent in one write are answered in order")
        func pipelining() async throws {
            let (_, front, writer) = try await self.environment()
            let pending = uniqueID()
            let processed = uniqueID()
            _ = try await writer.create(id: pending)
            _ = try await writer.create(id: processed)
            _ = try await writer.processed(id: processed, links: [JobLink(entity: "e", href: "/h")])
            let paths = (0..<30).map { index in
                switch index % 4 {
                case 0: "/api/jobs/\(pending)"
                case 1: "/api/jobs/\(processed)"
                case 2: "/api/jobs/\(uniqueID())"
                default: "/health/live"
                }
            }
            let client = try front.client()
            try client.send(
                paths.enumerated().map { index, path in
                    HTTPTestClient.requestText(path, token: Tokens.owner, headers: [("X-Request-ID", "p\(index)")])
                }.joined()
            )
            for (index, _) in paths.enumerated() {
                let response = try await client.readResponse()
                #expect(response.header("X-Request-ID") == "p\(index)")
                #expect(response.status == [200, 303, 404, 200][index % 4])
            }
        }

        @Test("X-Request-ID is echoed when acceptable, replaced otherwise")
        func requestIDs() async throws {
            let (_, front, _) = try await self.environment()
            let echoed = try await front.get("/health/live", headers: [("X-Request-ID", "abc.DEF_123-x")])
            #expect(echoed.header("X-Request-ID") == "abc.DEF_123-x")
            for bad in ["has space", String(repeating: "a", count: 201), "tab\there", "é"] {
                let response = try await front.get("/api/jobs/\(uniqueID())", headers: [("X-Request-ID", bad)])
                let generated = try #require(response.header("X-Request-ID"))
                #expect(generated != bad)
                #expect(try self.meta(response)["request_id"] as? String == generated)
            }
            let first = try await front.get("/health/live").header("X-Request-ID")
            let second = try await front.get("/health/live").header("X-Request-ID")
            #expect(first != nil && first != second)
        }

        @Test("meta.url comes from Host; X-Forwarded-* are ignored unless trusted")
        func metaURL() async throws {
            let (_, front, _) = try await self.environment()
            let id = uniqueID()
            let client = try front.client()
            let response = try await client.request(
                "/api/jobs/\(id)?wait=1",
                token: Tokens.owner,
                headers: [("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "api.example.org")],
                host: "jobs.internal:8443"
            )
            #expect(try self.meta(response)["url"] as? String == "http://jobs.internal:8443/api/jobs/\(id)")
        }

        @Test("HTTP/1.1 without Host, or with two, is a 400 that closes the connection; HTTP/1.0 closes unless it asks for keep-alive")
        func httpVersions() async throws {
            let (_, front, _) = try await self.environment()
            let noHost = try front.client()
            try noHost.send("GET /health/live HTTP/1.1\r\n\r\n")
            #expect(try await noHost.readResponse().status == 400)
            #expect(await noHost.isClosedByPeer())

            let twoHosts = try front.client()
            try twoHosts.send("GET /api/jobs/x HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n")
            let ambiguous = try await twoHosts.readResponse()
            #expect(ambiguous.status == 400)
            #expect(ambiguous.header("Connection") == "close")
            let url = try self.meta(ambiguous)["url"] as? String
            #expect(url?.hasPrefix("http://a.example") == false && url?.hasPrefix("http://b.example") == false, "\(url ?? "-")")
            #expect(await twoHosts.isClosedByPeer())

            let http10 = try front.client()
            try http10.send("GET /health/live HTTP/1.0\r\n\r\n")
            let closing = try await http10.readResponse()
            #expect(closing.status == 200)
            #expect(await http10.isClosedByPeer())

            let http10KeepAlive = try front.client()
            try http10KeepAlive.send("GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await http10KeepAlive.readResponse().header("Connection") == "keep-alive")
            try http10KeepAlive.send("GET /health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await http10KeepAlive.readResponse().status == 200)

            let closeRequested = try front.client()
            let response = try await closeRequested.request("/health/live", headers: [("Connection", "close")])
            #expect(response.header("Connection") == "close")
            #expect(await closeRequested.isClosedByPeer())
        }

        @Test("malformed requests get 400, oversized heads 431, then the connection closes; the server keeps serving")
        func badRequests() async throws {
            let (_, front, _) = try await self.environment()
            for garbage in ["GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET /x HTTP/1.1\r\nBad Header\r\n\r\n"] {
                let client = try front.client()
                try client.send(garbage)
                let response = try await client.readResponse()
                #expect(response.status == 400, "\(garbage.debugDescription)")
                #expect((response.json?["error"] as? [String: String])?["type"] == "bad_request")
                #expect(await client.isClosedByPeer())
            }
            let huge = try front.client()
            try huge.send("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n")
            let tooLarge = try await huge.readResponse()
            #expect(tooLarge.status == 431)
            #expect((tooLarge.json?["error"] as? [String: String])?["type"] == "request_header_fields_too_large")
            #expect(await huge.isClosedByPeer())

            let longURL = try front.client()
            try longURL.send("GET /api/jobs/\(String(repeating: "a", count: 40_000)) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect([404, 414, 431, 400].contains(try await longURL.readResponse().status))

            // A valid request followed by garbage: the valid one is answered first.
            let mixed = try front.client()
            try mixed.send(HTTPTestClient.requestText("/health/live", headers: [("X-Request-ID", "ok1")]) + "\u{1}\u{2}garbage\r\n\r\n")
            let first = try await mixed.readResponse()
            #expect(first.status == 200)
            #expect(first.header("X-Request-ID") == "ok1")
            #expect(try await mixed.readResponse().status == 400)

            #expect(try await front.get("/health/live").status == 200)
        }

        @Test("health: live without Redis, ready asks Redis; no token needed")
        func health() async throws {
            let (_, front, _) = try await self.environment()
            let live = try await front.get("/health/live", token: nil)
            #expect(live.status == 200)
            #expect(live.body == #"{"status":"up"}"#)
            let ready = try await front.get("/health/ready", token: nil)
            #expect(ready.status == 200)
        }
    }
}
