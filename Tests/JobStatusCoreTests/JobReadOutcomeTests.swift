import JobStatusCore
import JobStatusTestSupport
import Testing

private let eta = "2026-11-28T10:00:00.000Z"
private let link = #"[{"entity":"encounter","href":"/api/encounters/1"}]"#

@Suite("Deciding what a stored record answers")
struct JobReadOutcomeTests {
    private func outcome(_ fields: [JobRecordField: String], caller: String? = nil, ifNoneMatch: String? = nil) -> String {
        let record = StoredRecord(fields)
        let decide = { (caller: UnsafeRawBufferPointer?, condition: UnsafeRawBufferPointer?) -> String in
            switch JobReadOutcome.decide(record.view, caller: caller, ifNoneMatch: condition) {
            case .notFound: "notFound"
            case .contractViolation: "violation"
            case .found(let job): "found \(job.httpStatus)"
            case .notModified(let status, _, _): "notModified \(status.rawValue)"
            }
        }
        let withCondition = { (caller: UnsafeRawBufferPointer?) in
            ifNoneMatch.map { withBytes($0) { decide(caller, $0) } } ?? decide(caller, nil)
        }
        return caller.map { withBytes($0) { withCondition($0) } } ?? withCondition(nil)
    }

    @Test("If-None-Match naming the current state: not modified, before the payload is even checked")
    func conditional() {
        let record: [JobRecordField: String] = [
            .status: "processed", .eta: eta, .statusCode: "200", .links: link, .version: "3", .createdAt: "1700",
        ]
        #expect(self.outcome(record, ifNoneMatch: #"W/"3.1700""#) == "notModified processed")
        #expect(self.outcome(record, ifNoneMatch: #""3.1700""#) == "notModified processed", "weak comparison")
        #expect(self.outcome(record, ifNoneMatch: #"W/"1.1", W/"3.1700""#) == "notModified processed")
        #expect(self.outcome(record, ifNoneMatch: "*") == "notModified processed")
        #expect(self.outcome(record, ifNoneMatch: #"W/"2.1700""#) == "found 303")
        #expect(self.outcome(record, ifNoneMatch: #"W/"3.1701""#) == "found 303", "a re-created job is another state")
        #expect(self.outcome(record, ifNoneMatch: #"W/"3""#) == "found 303")
        #expect(self.outcome(record, ifNoneMatch: "garbage") == "found 303")
        var broken = record
        broken[.links] = "not json"
        #expect(self.outcome(broken, ifNoneMatch: #"W/"3.1700""#) == "notModified processed")
        #expect(self.outcome([:], ifNoneMatch: "*") == "notFound", "* matches only an existing job")
        #expect(self.outcome(record, caller: "someone", ifNoneMatch: "*") == "notModified processed", "unowned: anyone's")
        var owned = record
        owned[.owner] = "mis-1"
        #expect(self.outcome(owned, caller: "mis-2", ifNoneMatch: "*") == "notFound", "ownership before conditions")
    }

    @Test("no fields at all: the record does not exist")
    func absent() {
        #expect(self.outcome([:]) == "notFound")
    }

    @Test("ownership: only the owner sees the job; others get the same 404 as an unknown id")
    func ownership() {
        let record: [JobRecordField: String] = [.status: "pending", .eta: eta, .owner: "mis-1"]
        #expect(self.outcome(record, caller: "mis-1") == "found 200")
        #expect(self.outcome(record, caller: "mis-2") == "notFound")
        #expect(self.outcome(record, caller: "mis-10") == "notFound")
        #expect(self.outcome(record, caller: nil) == "found 200", "authorization disabled: no ownership")
        #expect(self.outcome([.status: "pending", .eta: eta], caller: "anyone") == "found 200", "an unowned job is anyone's")
    }

    @Test(
        "records that break the contract",
        arguments: [
            [JobRecordField.eta: eta, .version: "1"],
            [.status: "done", .eta: eta],
            [.status: "pending"],
            [.status: "pending", .eta: ""],
            [.status: "processed", .eta: eta, .links: "[]"],
            [.status: "processed", .eta: eta, .statusCode: "2000", .links: link],
            [.status: "processed", .eta: eta, .statusCode: "abc", .links: link],
            [.status: "processed", .eta: eta, .statusCode: "200", .links: "[]"],
            [.status: "pending", .eta: "e"],
            [.status: "pending", .eta: "2026-11-28T10:00:00.000"],
            [.status: "pending", .eta: "2026-13-28T10:00:00.000Z"],
            [.status: "pending", .eta: "\"}\u{0}"],
            [.status: "pending", .eta: "2026-11-28T10:00:00.1234567890Z"],
            [.status: "pending", .eta: "2026-11-28T10:00:00." + String(repeating: "1", count: 1000) + "Z"],
            [.status: "processed", .eta: eta, .statusCode: "404", .links: link],
            [.status: "failed", .eta: eta, .statusCode: "200", .error: #""x""#],
            [.status: "failed", .eta: eta, .statusCode: "302", .error: #""x""#],
            [.status: "failed_with_error", .eta: eta, .statusCode: "503", .error: #"{"type":"internal_error","message":"m"}"#],
            [.status: "failed_with_error", .eta: eta, .statusCode: "500", .error: #""text""#],
            [.status: "failed_with_error", .eta: eta, .statusCode: "500", .error: "{}"],
            [.status: "failed", .eta: eta, .statusCode: "404", .error: #"{"message":"m"}"#],
            [.status: "failed", .eta: eta, .statusCode: "404", .error: #"{"type":"t","message":"m","extra":1}"#],
            [.status: "failed", .eta: eta, .statusCode: "422", .error: #"{"type":"t","message":"m","invalid":[]}"#],
            [.status: "processed", .eta: eta, .statusCode: "200"],
            [.status: "processed", .eta: eta, .statusCode: "200", .links: #"[{"entity":"a"}]"#],
            [.status: "processed", .eta: eta, .statusCode: "200", .links: "not json"],
            [.status: "processed", .eta: eta, .statusCode: "200", .responseData: "{broken"],
            [.status: "failed", .eta: eta, .statusCode: "422"],
            [.status: "failed", .eta: eta, .statusCode: "422", .error: "plain text"],
            [.status: "failed", .eta: eta, .statusCode: "422", .error: "[1,2]"],
            [.status: "failed_with_error", .eta: eta, .statusCode: "500", .error: "42"],
        ]
    )
    func violations(fields: [JobRecordField: String]) {
        #expect(self.outcome(fields) == "violation")
    }

    @Test("valid terminal records")
    func valid() {
        #expect(self.outcome([.status: "processed", .eta: eta, .statusCode: "200", .links: link]) == "found 303")
        #expect(self.outcome([.status: "processed", .eta: eta, .statusCode: "201", .responseData: "null"]) == "found 200")
        #expect(self.outcome([.status: "failed", .eta: eta, .statusCode: "404", .error: #""gone""#]) == "found 200")
        #expect(self.outcome([.status: "failed", .eta: eta, .statusCode: "503", .error: #"{"type":"upstream","message":"m"}"#]) == "found 200")
        let internalError = #"{"type":"internal_error","message":"m"}"#
        #expect(self.outcome([.status: "failed_with_error", .eta: eta, .statusCode: "500", .error: internalError]) == "found 200")
        #expect(self.outcome([.status: "pending", .eta: "2026-11-28T12:00:00+02:00"]) == "found 200", "any RFC 3339 eta")
    }
}
