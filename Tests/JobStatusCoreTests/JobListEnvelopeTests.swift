import JobStatusCore
import JobStatusTestSupport
import NIOCore
import Testing

/// Job lists (`GET /api/jobs?ids=…`): each item is the job's `id` plus exactly the `data` object
/// a poll of that job carries, and the list's tag names the state of every item, in order.
@Suite("Job list envelopes and tags")
struct JobListEnvelopeTests {
    static let records: [[JobRecordField: String]] = [
        [.status: "pending", .eta: "2026-11-28T10:00:00.000Z", .version: "1"],
        [.status: "pending", .eta: "2026-11-28T12:00:00+02:00", .version: "2"],
        [.status: "processed", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "200", .links: #"[{"entity":"e","href":"/h"}]"#, .version: "3"],
        [.status: "processed", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "200", .responseData: #"{"a":[1,{"b":null}]}"#],
        [.status: "failed", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "404", .error: #""gone""#],
        [.status: "failed", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "409", .error: #"{"type":"request_conflict","message":"m"}"#],
        [
            .status: "failed", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "422",
            .error: #"{"type":"validation_failed","message":"m","invalid":[{"entry_type":"json_data_property","entry":"$.x","rules":[{"rule":"required","params":[],"description":"d"}]}]}"#,
        ],
        [.status: "failed_with_error", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "500", .error: #"{"type":"internal_error","message":"m"}"#],
    ]

    private static func job(_ record: StoredRecord) -> JobReadResult? {
        guard case .found(let job) = JobReadOutcome.decide(record.view, caller: nil) else { return nil }
        return job
    }

    @Test("an item is {id} plus the data object of a poll of that job, for every kind of record", arguments: Self.records)
    func itemIsTheData(fields: [JobRecordField: String]) throws {
        let record = StoredRecord(fields)
        let job = try #require(Self.job(record))
        var single = ByteBuffer()
        var item = ByteBuffer()
        withBytes("Job_1-x") { id in
            EnvelopeWriter.writeJob(job, id: id, meta: EnvelopeMeta(scheme: "http", host: "h", path: "/p", requestID: "r"), into: &single)
            EnvelopeWriter.writeListItem(job, id: id, into: &item)
        }
        var data = try #require((parsedJSON(String(buffer: single)) as? [String: Any])?["data"] as? [String: Any])
        data["id"] = "Job_1-x"
        #expect(jsonEqual(String(buffer: item), data), "\(String(buffer: item))")
    }

    @Test("items without a job echo the id as sent, escaped; the list envelope says type list")
    func itemsWithoutAJob() throws {
        var buffer = ByteBuffer()
        EnvelopeWriter.writeList(meta: EnvelopeMeta(scheme: "https", host: "h", path: "/api/jobs", requestID: "r"), into: &buffer) { items in
            withBytes("a\"b\\c\u{1}") { EnvelopeWriter.writeListItem(id: $0, status: "not_found", into: &items) }
            items.writeStaticString(",")
            withBytes("x") { EnvelopeWriter.writeListItem(id: $0, status: "error", into: &items) }
        }
        let expected: [String: Any] = [
            "data": [["id": "a\"b\\c\u{1}", "status": "not_found"], ["id": "x", "status": "error"]],
            "meta": ["code": 200, "url": "https://h/api/jobs", "type": "list", "request_id": "r"],
        ]
        #expect(jsonEqual(String(buffer: buffer), expected), "\(String(buffer: buffer))")
    }

    @Test("no served document nests deeper than 100 levels: the deepest fields the contract takes, in a job and in a job list")
    func servedDepth() throws {
        let most = JSONScanner.maximumDepth
        let nested = { (levels: Int) in String(repeating: "[", count: levels) + String(repeating: "]", count: levels) }
        let deepest: [[JobRecordField: String]] = [
            [.status: "processed", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "200", .responseData: nested(most)],
            [
                .status: "failed", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "422",
                .error: #"{"type":"validation_failed","message":"m","invalid":[{"entry_type":"t","entry":"e","rules":[{"rule":"r","params":"#
                    + nested(most - 5) + "}]}]}",
            ],
            [
                .status: "failed", .eta: "2026-11-28T10:00:00.000Z", .statusCode: "404",
                .error: #"{"type":"t","message":"m","invalid":[{"entry_type":"t","entry":"e","rules":[{"rule":"r"}],"extra":"#
                    + nested(most - 3) + "}]}",
            ],
        ]
        let meta = EnvelopeMeta(scheme: "http", host: "h", path: "/api/jobs", requestID: "r")
        for fields in deepest {
            let record = StoredRecord(fields)
            let job = try #require(Self.job(record))
            var single = ByteBuffer()
            var list = ByteBuffer()
            withExtendedLifetime(record) {
                withBytes("Job_1-x") { id in
                    EnvelopeWriter.writeJob(job, id: id, meta: meta, into: &single)
                    EnvelopeWriter.writeList(meta: meta, into: &list) { EnvelopeWriter.writeListItem(job, id: id, into: &$0) }
                }
            }
            let singleDepth = try #require(parsedJSON(String(buffer: single)).map(jsonDepth))
            let listDepth = try #require(parsedJSON(String(buffer: list)).map(jsonDepth))
            #expect(singleDepth == most + 2, "a job: {data: {field}}")
            #expect(listDepth == most + 3, "a job list: {data: [{field}]}")
            #expect(listDepth <= 100, "Ruby's JSON reads 100 levels, serde_json 128")
        }
        var tooDeep = deepest[0]
        tooDeep[.responseData] = nested(most + 1)
        #expect(Self.job(StoredRecord(tooDeep)) == nil, "one level more is a broken record")
    }

    /// The tag of a list of (id, version) pairs: nil version is "not found".
    private static func tag(_ items: [(String, String?)]) -> JobListTag? {
        var parts: [JobListTag.Item] = []
        for (id, version) in items {
            let item: JobListTag.Item? = withBytes(id) { id in
                guard let version else { return JobListTag.Item(id: id, broken: false) }
                return withBytes(version) { JobListTag.Item(id: id, tag: EntityTag(version: $0, createdAt: nil)) }
            }
            guard let item else { return nil }
            parts.append(item)
        }
        return JobListTag(parts)
    }

    private static func text(_ tag: JobListTag?) -> String {
        guard let tag else { return "none" }
        var buffer = ByteBuffer()
        buffer.writeBounded(maximumBytes: EntityTag.maximumCount) { tag.write(into: &$0) }
        return String(buffer: buffer)
    }

    @Test("the list's tag: the same state gives the same tag; any write, any order, any other id changes it")
    func tags() throws {
        let base = Self.tag([("a", "1"), ("b", "2"), ("c", nil)])
        #expect(Self.text(base).wholeMatch(of: /W\/"l[0-9a-f]{16}"/) != nil, "\(Self.text(base))")
        #expect(base == Self.tag([("a", "1"), ("b", "2"), ("c", nil)]))
        let others = [
            [("a", "1"), ("b", "3"), ("c", nil)], [("b", "2"), ("a", "1"), ("c", nil)], [("a", "1"), ("b", "2")],
            [("a", "1"), ("b", "2"), ("c", "1")], [("a", "1"), ("b", "2"), ("d", nil)], [("a", "12"), ("b", nil), ("c", nil)],
            [("a1", nil), ("b", "2"), ("c", nil)],
        ]
        let tags = others.map { Self.text(Self.tag($0)) }
        #expect(Set(tags + [Self.text(base)]).count == others.count + 1, "\(tags)")
        #expect(Self.tag([("a", "x")]) == nil, "a record without a numeric version: the list has no tag")
    }

    @Test("If-None-Match: the same tag (weak or not, in a list) or *, nothing else")
    func ifNoneMatch() throws {
        let tag = try #require(Self.tag([("a", "1")]))
        let text = Self.text(tag)
        let opaque = String(text.dropFirst(2))
        for header in [text, opaque, "W/\"x\", \(text)", "*"] {
            #expect(withBytes(header) { tag.matches(ifNoneMatch: $0) }, "\(header)")
        }
        for header in ["", "W/\"x\"", String(text.dropLast(2)) + "\"", "W/\"1\""] {
            #expect(!withBytes(header) { tag.matches(ifNoneMatch: $0) }, "\(header)")
        }
    }
}
