import JobStatusCore
import JobStatusTestSupport
import NIOCore
import Testing

@testable import JobStatusServer

/// A job list's reads as a value: what each read's summary tells the connection's protocol, the
/// list's tag, and the held list's rule that only a change its caller can see answers it.
@Suite("Job list reads")
struct JobListReadTests {
    static func record(status: String, version: Int, owner: String? = nil) -> [JobRecordField: String] {
        var fields: [JobRecordField: String] = [.status: status, .eta: "2030-01-01T00:00:00.000Z", .version: "\(version)", .createdAt: "7"]
        if status != "pending" {
            fields[.statusCode] = "200"
            fields[.responseData] = "{}"
        }
        if let owner { fields[.owner] = owner }
        return fields
    }

    /// One read of `list` with `records` (by id) as `caller` sees them; its summary.
    static func read(_ list: JobListRead, _ records: [Substring: [JobRecordField: String]], caller: String? = nil, ifNoneMatch: String? = nil) -> RecordSummary? {
        list.begin()
        for (index, id) in list.storeIDs.enumerated() {
            let stored = StoredRecord(records[id] ?? [:])
            withExtendedLifetime(stored) {
                let outcome: JobReadOutcome
                if var caller {
                    outcome = caller.withUTF8 { JobReadOutcome.decide(stored.view, caller: UnsafeRawBufferPointer($0)) }
                } else {
                    outcome = JobReadOutcome.decide(stored.view, caller: nil)
                }
                list.record(at: index, outcome)
            }
        }
        return list.finish(ifNoneMatch: ifNoneMatch)
    }

    @Test("ids as listed: malformed ones are not read but answered; the valid ones are read in order")
    func ids() {
        let list = JobListRead(ids: ["a1", "bad$", "b2"])
        #expect(list.storeIDs == ["a1", "b2"])
        #expect(Self.read(list, [:]) == .job(pending: false, version: nil), "nothing pending: a held list answers at once")
        var items = ByteBuffer()
        list.writeItems(into: &items)
        #expect(String(buffer: items) == #"{"id":"a1","status":"not_found"},{"id":"bad$","status":"not_found"},{"id":"b2","status":"not_found"}"#)
    }

    @Test("a held list waits while some job is pending and none is terminal")
    func waiting() {
        let pending = Self.record(status: "pending", version: 1)
        let done = Self.record(status: "processed", version: 2)
        #expect(Self.read(JobListRead(ids: ["a", "b"]), ["a": pending, "b": pending]) == .job(pending: true, version: nil))
        #expect(Self.read(JobListRead(ids: ["a", "b"]), ["a": pending, "b": done]) == .job(pending: false, version: nil))
        #expect(Self.read(JobListRead(ids: ["a", "b"]), ["a": pending]) == .job(pending: true, version: nil), "an unknown id does not end the wait")
    }

    @Test("the tag names every item's state: the same records, the same tag; If-None-Match with it is not modified")
    func tags() throws {
        let pending = Self.record(status: "pending", version: 1)
        let first = JobListRead(ids: ["a", "b"])
        _ = Self.read(first, ["a": pending])
        let tag = try #require(first.tag)
        let second = JobListRead(ids: ["a", "b"])
        _ = Self.read(second, ["a": pending])
        #expect(second.tag == tag)
        var header = ByteBuffer()
        header.writeBounded(maximumBytes: EntityTag.maximumCount) { tag.write(into: &$0) }
        let third = JobListRead(ids: ["a", "b"])
        #expect(Self.read(third, ["a": pending], ifNoneMatch: String(buffer: header)) == .unchanged(pending: true))
        #expect(third.isNotModified)
        let fourth = JobListRead(ids: ["a", "b"])
        _ = Self.read(fourth, ["a": Self.record(status: "pending", version: 2)])
        #expect(fourth.tag != tag, "a write to any job makes a new tag")
    }

    @Test("a held list read again after a change answers only when its caller can see the change")
    func visibleChangesOnly() {
        let list = JobListRead(ids: ["mine", "theirs"])
        let mine = Self.record(status: "pending", version: 1, owner: "mis-1")
        let theirs = Self.record(status: "pending", version: 1, owner: "mis-2")
        #expect(Self.read(list, ["mine": mine, "theirs": theirs], caller: "mis-1") == .job(pending: true, version: nil))
        #expect(!list.isReread)
        // Another client's job changed: the caller sees the same list.
        let theirsChanged = Self.record(status: "processed", version: 2, owner: "mis-2")
        #expect(Self.read(list, ["mine": mine, "theirs": theirsChanged], caller: "mis-1") == .unchanged(pending: true))
        #expect(list.isReread)
        // The caller's own job changed: an answer.
        let mineChanged = Self.record(status: "pending", version: 2, owner: "mis-1")
        #expect(Self.read(list, ["mine": mineChanged, "theirs": theirsChanged], caller: "mis-1") == .job(pending: true, version: nil))
    }

    @Test("the earliest pending eta is the list's Retry-After; a broken record is an error item; a record without a version leaves the list untagged")
    func etaAndBroken() {
        let list = JobListRead(ids: ["a", "b", "c", "d"])
        var early = Self.record(status: "pending", version: 1)
        early[.eta] = "2029-01-01T00:00:00.000Z"
        var unversioned = Self.record(status: "pending", version: 1)
        unversioned[.version] = nil
        _ = Self.read(list, ["a": Self.record(status: "pending", version: 1), "b": early, "c": [.status: "pending"], "d": unversioned])
        #expect(list.earliestPendingETA == 1_861_920_000_000)
        #expect(list.tag == nil, "a state without a version cannot be named by a tag")
        var items = ByteBuffer()
        list.writeItems(into: &items)
        #expect(String(buffer: items).contains(#"{"id":"c","status":"error"}"#), "\(String(buffer: items))")
    }
}
