import JobStatusCore
import JobStatusTestSupport
import NIOCore
import Testing

/// Golden tests: each response example of the seed page (`get-async-job-status.txt`), produced
/// from the record a worker would store, compared as JSON.
@Suite("Envelopes, against the seed's response examples")
struct EnvelopeWriterTests {
    private let meta = EnvelopeMeta(scheme: "http", host: "example.com", path: "/resource", requestID: "req-adasdoijasdojsda")

    private func envelope(id: String, _ fields: [JobRecordField: String], caller: String? = nil) -> (code: Int, json: String)? {
        let record = StoredRecord(fields)
        let decide = { (caller: UnsafeRawBufferPointer?) in JobReadOutcome.decide(record.view, caller: caller) }
        let outcome = caller.map { withBytes($0) { decide($0) } } ?? decide(nil)
        guard case .found(let job) = outcome else { return nil }
        var buffer = ByteBuffer()
        withBytes(id) { EnvelopeWriter.writeJob(job, id: $0, meta: self.meta, into: &buffer) }
        return (job.httpStatus, String(buffer: buffer))
    }

    private func meta(code: Int) -> String {
        #"{"code":\#(code),"url":"http://example.com/resource","type":"object","request_id":"req-adasdoijasdojsda"}"#
    }

    @Test("pending: 200 with the job's own link")
    func pending() throws {
        let result = try #require(self.envelope(id: "NBXk9EyErUZv1RhXgyvgg", [.status: "pending", .eta: "2018-08-02T10:45:16.000Z", .version: "1"]))
        #expect(result.code == 200)
        // The seed links to /Jobs/<id>; design.md fixes the canonical /api/jobs/<id>, which the router also serves.
        let expected = """
            {"data":{"status":"pending","eta":"2018-08-02T10:45:16.000Z",
             "links":[{"entity":"job","href":"/api/jobs/NBXk9EyErUZv1RhXgyvgg"}]},"meta":\(self.meta(code: 200))}
            """
        #expect(jsonEqual(result.json, expected), "\(result.json)")
    }

    @Test("processed with links: 303, the envelope carries the links and status_code \"200\"")
    func processedLinks() throws {
        let entities = [
            ("encounter", "encounters/90a9e15b-b71b-4caf-8f2e-ff247e8a5600"), ("condition", "conditions/df112200-64da-451b-bf77-8e7655bbd48f"),
            ("observation", "observations/d118cc02-3b9b-4d1a-b728-eda4e3d58f25"),
            ("allergy_intolerance", "allergy_intolerances/5f41c64a-6742-4d6d-9f3b-c6742b2ee0a1"),
            ("immunization", "immunizations/12e5985d-2a79-452f-8bc4-ed3a02fdefc5"),
            ("risk_assessment", "risk_assessments/22e5985d-2a79-452f-8bc4-ed3a02fdefc5"),
            ("device", "devices/32e5985d-2a79-452f-8bc4-ed3a02fdefc5"),
            ("medication_statemet", "medication_statemets/42e5985d-2a79-452f-8bc4-ed3a02fdefc5"),
            ("medication_administration", "medication_administration/42e5985d-2a79-452f-8bc4-ed3a02fdefc5"),
            ("diagnostic_report", "diagnostic_reports/42e5985d-2a79-452f-8bc4-ed3a02fdefc5"),
            ("procedure", "procedure/42e5985d-2a79-452f-8bc4-ed3a02fdefc5"),
        ]
        let links = "[" + entities.map { #"{"entity":"\#($0.0)","href":"{host}/api/patients/3da18c10-d2ca-469e-bde5-7413201cea2/\#($0.1)"}"# }
            .joined(separator: ",") + "]"
        let result = try #require(
            self.envelope(id: "x", [.status: "processed", .eta: "2018-08-02T10:45:16.000Z", .statusCode: "200", .links: links])
        )
        #expect(result.code == 303)
        let expected = """
            {"data":{"status":"processed","eta":"2018-08-02T10:45:16.000Z","links":\(links),"status_code":"200"},
             "meta":\(self.meta(code: 303))}
            """
        #expect(jsonEqual(result.json, expected), "\(result.json)")
    }

    @Test("failed 403 and 404: the error is a string", arguments: ["403", "404"])
    func failedWithString(code: String) throws {
        let result = try #require(
            self.envelope(id: "x", [.status: "failed", .eta: "2018-08-02T10:45:16.000Z", .statusCode: code, .error: #""Error description""#])
        )
        #expect(result.code == 200)
        let expected = """
            {"data":{"error":"Error description","eta":"2018-08-02T10:45:16.000Z","status":"failed","status_code":"\(code)"},
             "meta":\(self.meta(code: 200))}
            """
        #expect(jsonEqual(result.json, expected), "\(result.json)")
    }

    @Test("failed 409: the error is {message, type}")
    func failedConflict() throws {
        let error = #"{"message":"Error description","type":"Error_type"}"#
        let result = try #require(
            self.envelope(id: "x", [.status: "failed", .eta: "2018-08-02T10:45:16.000Z", .statusCode: "409", .error: error])
        )
        let expected = """
            {"data":{"error":{"message":"Error description","type":"Error_type"},"eta":"2018-08-02T10:45:16.000Z",
             "status":"failed","status_code":"409"},"meta":\(self.meta(code: 200))}
            """
        #expect(jsonEqual(result.json, expected), "\(result.json)")
    }

    @Test("failed 422: the validation object with invalid[] is returned verbatim")
    func failedValidation() throws {
        let error = """
            {"type":"validation_failed","message":"Validation failed. You can find validators description at our API Manifest: http://docs.apimanifest.apiary.io/#introduction/interacting","invalid":[{"entry_type":"json_data_proprty","entry":"$.cvv","rules":[{"rule":"required","params":[],"description":"must be present"}]}]}
            """
        let result = try #require(
            self.envelope(id: "x", [.status: "failed", .eta: "2019-04-26T09:16:15.936Z", .statusCode: "422", .error: error])
        )
        let expected = """
            {"data":{"status":"failed","status_code":"422","error":\(error),"eta":"2019-04-26T09:16:15.936Z"},
             "meta":\(self.meta(code: 200))}
            """
        #expect(jsonEqual(result.json, expected), "\(result.json)")
    }

    @Test("failed_with_error: status_code \"500\" and {type: internal_error, message}")
    func failedWithError() throws {
        let error = #"{"type":"internal_error","message":"database timeout"}"#
        let result = try #require(
            self.envelope(id: "x", [.status: "failed_with_error", .eta: "2018-08-02T10:45:16.000Z", .statusCode: "500", .error: error])
        )
        let expected = """
            {"data":{"status":"failed_with_error","eta":"2018-08-02T10:45:16.000Z","status_code":"500","error":\(error)},
             "meta":\(self.meta(code: 200))}
            """
        #expect(jsonEqual(result.json, expected), "\(result.json)")
    }

    @Test("processed with response_data: 200 and the data inline")
    func processedInline() throws {
        let result = try #require(
            self.envelope(
                id: "x",
                [.status: "processed", .eta: "2018-08-02T10:45:16.000Z", .statusCode: "200", .responseData: #"{"id":"abc","n":[1,2]}"#]
            )
        )
        #expect(result.code == 200)
        let expected = """
            {"data":{"status":"processed","eta":"2018-08-02T10:45:16.000Z","status_code":"200","response_data":{"id":"abc","n":[1,2]}},
             "meta":\(self.meta(code: 200))}
            """
        #expect(jsonEqual(result.json, expected), "\(result.json)")
    }

    @Test("the error envelope: top-level error instead of data")
    func errorEnvelope() {
        var buffer = ByteBuffer()
        EnvelopeWriter.writeError(code: 404, type: "not_found", message: "Job not found", meta: self.meta, into: &buffer)
        let expected = #"{"error":{"type":"not_found","message":"Job not found"},"meta":\#(self.meta(code: 404))}"#
        #expect(jsonEqual(String(buffer: buffer), expected), "\(String(buffer: buffer))")
    }

    @Test("text from the request is escaped, so the envelope stays valid JSON")
    func hostileText() throws {
        let meta = EnvelopeMeta(scheme: "http", host: "evil\"host\n", path: "/api/jobs/x\u{1}", requestID: "id")
        let record = StoredRecord([.status: "pending", .eta: "2026-11-28T10:00:00.000Z"])
        guard case .found(let job) = JobReadOutcome.decide(record.view, caller: nil) else {
            Issue.record("expected a job")
            return
        }
        var buffer = ByteBuffer()
        withBytes("x") { EnvelopeWriter.writeJob(job, id: $0, meta: meta, into: &buffer) }
        let json = try #require(parsedJSON(String(buffer: buffer)) as? [String: Any])
        let envelopeMeta = try #require(json["meta"] as? [String: Any])
        #expect(envelopeMeta["url"] as? String == "http://evil\"host\n/api/jobs/x\u{1}")
    }

    @Test(
        "an eta stored in another RFC 3339 form answers in the published one: UTC, Z, milliseconds",
        arguments: [
            ("2026-11-28T12:45:16+02:00", "2026-11-28T10:45:16.000Z"),
            ("2026-11-28T10:45:16Z", "2026-11-28T10:45:16.000Z"),
            ("2026-11-28t10:45:16.5z", "2026-11-28T10:45:16.500Z"),
            ("2026-11-28T10:45:16.1234567Z", "2026-11-28T10:45:16.123Z"),
            ("2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000Z"),
            ("2024-02-29T23:00:00-01:00", "2024-03-01T00:00:00.000Z"),
            ("2026-11-28T10:45:16.123456Z", "2026-11-28T10:45:16.123456Z"),
            ("2026-11-28T10:45:16.1Z", "2026-11-28T10:45:16.1Z"),
            ("2026-11-28T12:45:16.123456789+02:00", "2026-11-28T10:45:16.123Z"),
            // A leap second, in every form, is the next minute's first: Python and Go refuse second 60.
            ("2026-06-30T23:59:60.000Z", "2026-07-01T00:00:00.000Z"),
            ("2026-06-30T23:59:60.123456Z", "2026-07-01T00:00:00.123Z"),
            ("2026-06-30T23:59:60Z", "2026-07-01T00:00:00.000Z"),
            ("2026-06-30t23:59:60.5z", "2026-07-01T00:00:00.500Z"),
            ("2026-07-01T01:59:60.250+02:00", "2026-07-01T00:00:00.250Z"),
        ]
    )
    func publishedEta(stored: String, answered: String) throws {
        let result = try #require(self.envelope(id: "x", [.status: "pending", .eta: stored]))
        let json = try #require(parsedJSON(result.json) as? [String: Any])
        let data = try #require(json["data"] as? [String: Any])
        #expect(data["eta"] as? String == answered)
    }

    @Test("data carries no keys beyond the table's")
    func noExtraKeys() throws {
        let record: [JobRecordField: String] = [
            .status: "processed", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "200", .links: #"[{"entity":"a","href":"b"}]"#,
            .responseData: "{}", .error: #""x""#, .owner: "o", .version: "9",
        ]
        let result = try #require(self.envelope(id: "x", record, caller: "o"))
        let json = try #require(parsedJSON(result.json) as? [String: Any])
        let data = try #require(json["data"] as? [String: Any])
        #expect(Set(data.keys) == ["status", "eta", "status_code", "links"])
        #expect(Set(json.keys) == ["data", "meta"])
    }
}
