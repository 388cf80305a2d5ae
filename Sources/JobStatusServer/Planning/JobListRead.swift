import JobStatusCore
import NIOCore

/// A job list's answer (`GET /api/jobs?ids=…`) as its records arrive.
///
/// The store hands each record over only while its reply lasts, and in a cluster the nodes
/// answer in any order, so each item is rendered into `rendered` the moment it arrives and put
/// in the list's order when the answer is written. A malformed id never reaches the store: its
/// item is written when the read begins, and it is indistinguishable from an unknown one. A long
/// poll reads the list again after each change, so `begin` starts over.
final class JobListRead {
    private struct Item {
        var range: Range<Int>
        var tag: JobListTag.Item?
        var state: PollStateMetrics.State
    }

    /// The ids as listed (malformed ones included), each once, in order.
    let ids: [Substring]
    /// The valid ids, the ones the store reads, in order.
    let storeIDs: [Substring]
    /// For each of `storeIDs`, its position in `ids`.
    private let storePositions: [Int]
    /// The positions of the malformed ids.
    private let malformedPositions: [Int]
    private var items: [Item?]
    private var rendered: ByteBuffer
    /// The earliest eta of a pending item, for `Retry-After`.
    private(set) var earliestPendingETA: Int64?
    /// The last read's tag (nil: some record has no version) and whether `If-None-Match` named it.
    private(set) var tag: JobListTag?
    private(set) var isNotModified = false
    /// The tag of the read before this one: a held list parked on it, and wakes only when the
    /// caller can see a difference from it.
    private var earlierTag: JobListTag?
    private var reads = 0

    /// Whether this read follows an earlier one of the same held list.
    var isReread: Bool { self.reads > 1 }

    init(ids: [Substring]) {
        self.ids = ids
        var storeIDs: [Substring] = []
        var storePositions: [Int] = []
        var malformedPositions: [Int] = []
        for (position, id) in ids.enumerated() {
            if JobID.isValid(id.utf8) {
                storeIDs.append(id)
                storePositions.append(position)
            } else {
                malformedPositions.append(position)
            }
        }
        self.storeIDs = storeIDs
        self.storePositions = storePositions
        self.malformedPositions = malformedPositions
        self.items = Array(repeating: nil, count: ids.count)
        self.rendered = ByteBufferAllocator().buffer(capacity: 128 * ids.count)
    }

    /// Starts a read: forgets the last one and writes the items of malformed ids.
    func begin() {
        self.reads += 1
        self.rendered.clear()
        self.earliestPendingETA = nil
        self.earlierTag = self.tag
        self.tag = nil
        self.isNotModified = false
        for position in self.items.indices {
            self.items[position] = nil
        }
        for position in self.malformedPositions {
            self.write(at: position, state: .notFound) { id, buffer in
                EnvelopeWriter.writeListItem(id: id, status: "not_found", into: &buffer)
                return JobListTag.Item(id: id, broken: false)
            }
        }
    }

    /// The record of `storeIDs[index]`.
    func record(at index: Int, _ outcome: JobReadOutcome) {
        let position = self.storePositions[index]
        switch outcome {
        case .found(let job):
            if job.status == .pending {
                let eta = job.eta.millisecondsSinceEpoch
                self.earliestPendingETA = min(self.earliestPendingETA ?? eta, eta)
            }
            self.write(at: position, state: PollStateMetrics.State(job.status)) { id, buffer in
                EnvelopeWriter.writeListItem(job, id: id, into: &buffer)
                return JobListTag.Item(id: id, tag: job.tag)
            }
        case .notFound, .notModified:
            // A list item is read without If-None-Match: `notModified` cannot happen.
            self.write(at: position, state: .notFound) { id, buffer in
                EnvelopeWriter.writeListItem(id: id, status: "not_found", into: &buffer)
                return JobListTag.Item(id: id, broken: false)
            }
        case .contractViolation:
            self.write(at: position, state: .error) { id, buffer in
                EnvelopeWriter.writeListItem(id: id, status: "error", into: &buffer)
                return JobListTag.Item(id: id, broken: true)
            }
        }
    }

    /// Every record is in: the list's tag, and what it means to the connection's protocol (nil
    /// when an item is missing, which a read without failure never leaves). Without
    /// `If-None-Match`, a long poll waits while some job is pending and none is terminal; with
    /// it, while the tag is the client's and some job is pending. A re-read after a change is
    /// conditional on the read before it (`PlannedRequest.isConditional`): unchanged when the
    /// tag is the same — the change was to a job the caller cannot see.
    func finish(ifNoneMatch: String?) -> RecordSummary? {
        var complete = true
        var tagged = true
        var anyPending = false
        var anyTerminal = false
        for item in self.items {
            guard let item else {
                complete = false
                continue
            }
            tagged = tagged && item.tag != nil
            switch item.state {
            case .pending: anyPending = true
            case .processed, .failed, .failedWithError: anyTerminal = true
            case .notFound, .error, .notModified: break
            }
        }
        guard complete else { return nil }
        self.tag = tagged ? JobListTag(self.items.lazy.map { $0!.tag! }) : nil
        if var ifNoneMatch, let tag = self.tag {
            self.isNotModified = ifNoneMatch.withUTF8 { tag.matches(ifNoneMatch: UnsafeRawBufferPointer($0)) }
        }
        if self.isNotModified || (self.isReread && self.tag != nil && self.tag == self.earlierTag) {
            return .unchanged(pending: anyPending)
        }
        return .job(pending: anyPending && !anyTerminal, version: nil)
    }

    /// Counts the answered list in `jobstatus_polls_total`: each item by its state, or every
    /// item as not modified (304).
    func recordPollStates() {
        for case let item? in self.items {
            PollStateMetrics.record(self.isNotModified ? .notModified : item.state)
        }
    }

    /// Writes the items, in the list's order, separated by commas.
    func writeItems(into buffer: inout ByteBuffer) {
        var first = true
        for case let item? in self.items {
            if !first { buffer.writeStaticString(",") }
            first = false
            buffer.writeImmutableBuffer(self.rendered.getSlice(at: item.range.lowerBound, length: item.range.count)!)
        }
    }

    private func write(
        at position: Int,
        state: PollStateMetrics.State,
        _ body: (UnsafeRawBufferPointer, inout ByteBuffer) -> JobListTag.Item?
    ) {
        let start = self.rendered.writerIndex
        var id = self.ids[position]
        let tag = id.withUTF8 { body(UnsafeRawBufferPointer($0), &self.rendered) }
        self.items[position] = Item(range: start..<self.rendered.writerIndex, tag: tag, state: state)
    }
}
