import NIOCore
import Testing

@testable import JobStatusServer

@Suite("Per-client limits")
struct ClientLimitsTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    @Test("a client gets its burst, then its rate; Retry-After says when the next request is allowed")
    func tokenBucket() {
        let limits = ClientLimits(rate: 2, burst: 5, maxWaitersPerClient: 1, now: Self.start)
        let admitted = (0..<7).map { _ in limits.admit("a", now: Self.start) == nil }
        #expect(admitted == [true, true, true, true, true, false, false])
        #expect(limits.admit("a", now: Self.start) == 1)
        #expect(limits.admit("a", now: Self.start + .milliseconds(500)) == nil, "half a second refills one request at 2/s")
        #expect(limits.admit("b", now: Self.start) == nil, "other clients are not affected")
    }

    @Test("a reading earlier than the bucket's last (another loop's, a request planned again after the JWT keys) takes no tokens away")
    func earlierReading() {
        let limits = ClientLimits(rate: 1, burst: 2, maxWaitersPerClient: 1, now: Self.start)
        #expect(limits.admit("a", now: Self.start + .seconds(10)) == nil)
        #expect(limits.admit("a", now: Self.start + .seconds(8)) == nil, "one token left: two seconds back must not owe two")
        #expect(limits.admit("a", now: Self.start + .seconds(10)) == 1, "the bucket is empty, and its clock did not run back")
        #expect(limits.admit("a", now: Self.start + .seconds(11)) == nil)
    }

    @Test("a job list costs one request per id; a list larger than the burst needs a full bucket and leaves a debt")
    func cost() {
        let limits = ClientLimits(rate: 10, burst: 20, maxWaitersPerClient: 1, now: Self.start)
        #expect(limits.admit("a", cost: 15, now: Self.start) == nil)
        #expect(limits.admit("a", cost: 6, now: Self.start) == 1, "5 left, 6 asked: 0.1 s at 10/s, rounded up to 1")
        #expect(limits.admit("a", cost: 5, now: Self.start) == nil)
        #expect(limits.admit("a", now: Self.start) != nil, "the bucket is empty")
        #expect(limits.admit("a", cost: 50, now: Self.start + .seconds(1)) == 1, "more than the burst waits for a full bucket")
        #expect(limits.admit("a", cost: 50, now: Self.start + .seconds(2)) == nil)
        #expect(limits.admit("a", now: Self.start + .seconds(4)) == 2, "30 owed, 20 refilled: 1.1 s more for one request")
        #expect(limits.admit("a", now: Self.start + .milliseconds(5100)) == nil)
    }

    @Test("a bucket forgotten after a quiet window is full again, as if it had been kept")
    func forgettingIsExact() {
        let limits = ClientLimits(rate: 1, burst: 3, maxWaitersPerClient: 1, now: Self.start)
        for _ in 0..<3 { #expect(limits.admit("a", now: Self.start) == nil) }
        #expect(limits.admit("a", now: Self.start) != nil)
        // Two windows (3 s each) later both generations have rotated away.
        let later = Self.start + .seconds(7)
        _ = limits.admit("other", now: later)
        _ = limits.admit("other", now: later + .seconds(3))
        #expect(limits.bucketCount == 1)
        for _ in 0..<3 { #expect(limits.admit("a", now: later + .seconds(3)) == nil) }
        #expect(limits.admit("a", now: later + .seconds(3)) != nil)
    }

    @Test("250,000 identities: memory stays bounded, a hot client stays limited, every request costs the same")
    func manyIdentities() {
        let limits = ClientLimits(rate: 10, burst: 20, maxWaitersPerClient: 1, now: Self.start)
        let identities = 250_000
        var hotAdmitted = 0
        var largest = 0
        let clock = ContinuousClock()
        var batches: [Duration] = []
        var batchStart = clock.now
        for index in 0..<identities {
            // All within one refill window: only the size bound rotates generations.
            let now = Self.start + .microseconds(Int64(index))
            _ = limits.admit("client-\(index)", now: now)
            if index % 10 == 0, limits.admit("hot", now: now) == nil { hotAdmitted += 1 }
            if index % 1000 == 999 {
                largest = max(largest, limits.bucketCount)
                batches.append(clock.now - batchStart)
                batchStart = clock.now
            }
        }
        let sorted = batches.sorted()
        let nanosecondsPerRequest = { (batch: Duration) in (batch.components.seconds * 1_000_000_000 + batch.components.attoseconds / 1_000_000_000) / 1000 }
        let median = nanosecondsPerRequest(sorted[sorted.count / 2])
        print(
            "client limits: \(identities) identities, at most \(largest) buckets held "
                + "(bound \(2 * ClientLimits.maxBucketsPerGeneration)), median \(median) ns per request, slowest batch \(nanosecondsPerRequest(sorted.last!)) ns per request"
        )
        #expect(largest <= 2 * ClientLimits.maxBucketsPerGeneration)
        // 0.25 s at 10/s with a burst of 20: the hot client gets its burst and a few more, not 25,000.
        #expect(hotAdmitted <= 25, "the hot client is still limited: \(hotAdmitted) admitted")
    }

    @Test("waiters: at most the cap at once per client, released one by one")
    func waiters() {
        let limits = ClientLimits(rate: 0, burst: 1, maxWaitersPerClient: 2)
        #expect(limits.startWaiting("a"))
        #expect(limits.startWaiting("a"))
        #expect(!limits.startWaiting("a"))
        #expect(limits.startWaiting("b"))
        limits.stopWaiting("a")
        #expect(limits.startWaiting("a"))
    }
}
