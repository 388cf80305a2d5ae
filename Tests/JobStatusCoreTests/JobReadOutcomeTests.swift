import JobStatusCore
import Testing

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
            .status: "processed", .eta: "e", .statusCode: "200", .links: "[]", .version: "3", .createdAt: "1700",
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
        let record: [JobRecordField: String] = [.status: "pending", .eta: "e", .owner: "mis-1"]
        #expect(self.outcome(record, caller: "mis-1") == "found 200")
        #expect(self.outcome(record, caller: "mis-2") == "notFound")
        #expect(self.outcome(record, caller: "mis-10") == "notFound")
        #expect(self.outcome(record, caller: nil) == "found 200", "authorization disabled: no ownership")
        #expect(self.outcome([.status: "pending", .eta: "e"], caller: "anyone") == "found 200", "an unowned job is anyone's")
    }

    @Test(
        "records that break the contract",
        arguments: [
            [JobRecordField.eta: "e", .version: "1"],
            [.status: "done", .eta: "e"],
            [.status: "pending"],
            [.status: "pending", .eta: ""],
            [.status: "processed", .eta: "e", .links: "[]"],
            [.status: "processed", .eta: "e", .statusCode: "2000", .links: "[]"],
            [.status: "processed", .eta: "e", .statusCode: "abc", .links: "[]"],
            [.status: "processed", .eta: "e", .statusCode: "200"],
            [.status: "processed", .eta: "e", .statusCode: "200", .links: #"[{"entity":"a"}]"#],
            [.status: "processed", .eta: "e", .statusCode: "200", .links: "not json"],
            [.status: "processed", .eta: "e", .statusCode: "200", .responseData: "{broken"],
            [.status: "failed", .eta: "e", .statusCode: "422"],
            [.status: "failed", .eta: "e", .statusCode: "422", .error: "plain text"],
            [.status: "failed", .eta: "e", .statusCode: "422", .error: "[1,2]"],
            [.status: "failed_with_error", .eta: "e", .statusCode: "500", .error: "42"],
        ]
    )
    func violations(fields: [JobRecordField: String]) {
        #expect(self.outcome(fields) == "violation")
    }

    @Test("valid terminal records")
    func valid() {
        #expect(self.outcome([.status: "processed", .eta: "e", .statusCode: "200", .links: "[]"]) == "found 303")
        #expect(self.outcome([.status: "processed", .eta: "e", .statusCode: "201", .responseData: "null"]) == "found 200")
        #expect(self.outcome([.status: "failed", .eta: "e", .statusCode: "404", .error: #""gone""#]) == "found 200")
        #expect(self.outcome([.status: "failed_with_error", .eta: "e", .statusCode: "500", .error: "{}"]) == "found 200")
    }
}
