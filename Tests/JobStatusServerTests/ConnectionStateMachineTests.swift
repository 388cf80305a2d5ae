import JobStatusCore
import NIOCore
import Testing

@testable import JobStatusServer

/// The connection's protocol as a table: from a sequence of events, the actions the machine asks
/// for and the state it ends in. No channel, no clock but the driver's.
@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let events: [ConnectionStateMachineDriver.Event]
        let trace: [String]
        let state: String

        var testDescription: String { self.name }
    }

    static let pending = ConnectionStateMachineDriver.Event.record(.job(pending: true, version: 1))
    static let pendingV2 = ConnectionStateMachineDriver.Event.record(.job(pending: true, version: 2))
    static let processed = ConnectionStateMachineDriver.Event.record(.job(pending: false, version: 3))

    static let requestsCases: [Case] = [
        Case(name: "an immediate answer keeps the connection", events: [.request("/live")], trace: ["plan /live", "finish /live immediate"], state: "idle"),
        Case(
            name: "Connection: close closes once the answer is written",
            events: [.request("/live", keepAlive: false), .closeWritten],
            trace: ["plan /live", "finish /live immediate, close", "linger"],
            state: "lingering, 0 dropped"
        ),
        Case(
            name: "HTTP/1.0 without keep-alive closes",
            events: [.request("/poll", version: .http1_0, keepAlive: false), .record(.missing)],
            trace: ["plan /poll", "read /poll", "finish /poll record, close"],
            state: "closing"
        ),
        Case(
            name: "a poll reads once and answers the record",
            events: [.request("/poll"), pending],
            trace: ["plan /poll", "read /poll", "finish /poll record"],
            state: "idle"
        ),
        Case(
            name: "a poll whose read gets no answer answers 503",
            events: [.request("/poll"), .unavailable],
            trace: ["plan /poll", "read /poll", "finish /poll 503"],
            state: "idle"
        ),
        Case(
            name: "readiness probes the store",
            events: [.request("/ready"), .probed(false)],
            trace: ["plan /ready", "probe", "finish /ready not ready"],
            state: "idle"
        ),
        Case(
            name: "pipelined requests are planned one after the other, in order",
            events: [.request("/poll"), .request("/live"), .request("/ready"), .record(.missing), .probed(true)],
            trace: ["plan /poll", "read /poll", "finish /poll record", "plan /live", "finish /live immediate", "plan /ready", "probe", "finish /ready ready"],
            state: "idle"
        ),
        Case(
            name: "a token naming an unknown key waits for the keys, then the request is planned again and answered",
            events: [.request("/keys/poll"), .keysArrived, pending],
            trace: ["plan /keys/poll", "await keys", "replan /keys/poll", "read /poll", "finish /poll record"],
            state: "idle"
        ),
        Case(
            name: "a request pipelined behind one waiting for the keys waits its turn",
            events: [.request("/keys/live"), .request("/poll"), .keysArrived, pending],
            trace: ["plan /keys/live", "await keys", "replan /keys/live", "finish /live immediate", "plan /poll", "read /poll", "finish /poll record"],
            state: "idle"
        ),
        Case(
            name: "a long poll that waited for the keys while the server began draining is not held",
            events: [.request("/keys/wait/5"), .quiesce, .keysArrived, pending],
            trace: ["plan /keys/wait/5", "await keys", "replan /keys/wait/5", "read /wait/5", "finish /wait/5 record, close"],
            state: "closing"
        ),
        Case(
            name: "keys that arrive after the connection closed change nothing",
            events: [.request("/keys/poll"), .inactive, .keysArrived],
            trace: ["plan /keys/poll", "await keys", "abandon /keys/poll"],
            state: "closed"
        ),
        Case(
            name: "a reply that arrives when nothing reads is ignored",
            events: [pending, .unavailable, .probed(true), .keysArrived, .watch(.changed, generation: 1), .timer(2)],
            trace: [],
            state: "opened"
        ),
    ]

    static let longPollsCases: [Case] = [
        Case(
            name: "long poll: subscribe, read, park; a change wakes it and the next read answers",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), pending, .watch(.changed, generation: 1), pendingV2],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "long poll: a change during the first read is not lost: the next read answers",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), .watch(.changed, generation: 1), pending, pendingV2],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "long poll: a terminal job answers at once",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), processed],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "long poll: at the deadline the parked request reads and answers",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), pending, .advance(.seconds(5)), .timer(2), pending],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "long poll: a read that returns after the deadline answers",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), .advance(.seconds(6)), .timer(2), pending],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "long poll with If-None-Match: an unchanged pending job parks, a stale tag answers",
            events: [
                .request("/conditional-wait/5"), .watch(.ready, generation: 1), .record(.unchanged(pending: true)),
                .watch(.changed, generation: 1), .record(.job(pending: true, version: 2)),
                .request("/conditional-wait/5"), .watch(.ready, generation: 3), .record(.job(pending: true, version: 2)),
            ],
            trace: [
                "plan /conditional-wait/5", "watch /conditional-wait/5 g1, timer g2 at +5s", "read /conditional-wait/5",
                "read /conditional-wait/5", "finish /conditional-wait/5 record",
                "plan /conditional-wait/5", "watch /conditional-wait/5 g3, timer g4 at +5s", "read /conditional-wait/5",
                "finish /conditional-wait/5 record",
            ],
            state: "idle"
        ),
        Case(
            name: "long poll: no subscription, no waiting: it answers from one read",
            events: [.request("/wait/5"), .watch(.unavailable, generation: 1), pending],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "race: the subscriber connection drops while SUBSCRIBE is queued: answered from a read",
            events: [.request("/wait/5"), .watch(.lost, generation: 1), pending],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "race: the subscription never settles: the deadline still answers",
            events: [.request("/wait/5"), .advance(.seconds(5)), .timer(2), pending],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "race: the watch breaks during the read: the reply answers instead of parking unwatched",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), .watch(.lost, generation: 1), pending],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "race: the watch breaks while parked: read and answer",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), pending, .watch(.lost, generation: 1), pending],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "long poll: its watch resumes while parked (a migration, a failover): re-read; the same version parks again, a change then answers",
            events: [
                .request("/wait/5"), .watch(.ready, generation: 1), pending, .watch(.resumed, generation: 1), pending,
                .watch(.changed, generation: 1), pendingV2,
            ],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "read /wait/5", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "long poll: its watch resumes and the job was written meanwhile: the re-check answers",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), pending, .watch(.resumed, generation: 1), pendingV2],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "long poll: resumed during its first read: one more read, then it parks as a first read would",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), .watch(.resumed, generation: 1), pending, pending],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "read /wait/5"],
            state: "waiting: parked"
        ),
        Case(
            name: "long poll: a re-check that gets no answer keeps waiting; the deadline reads and answers",
            events: [
                .request("/wait/5"), .watch(.ready, generation: 1), pending, .watch(.resumed, generation: 1), .unavailable,
                .advance(.seconds(5)), .timer(2), pending,
            ],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "read /wait/5", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "long poll: a change during a re-check is answered after one more read",
            events: [
                .request("/wait/5"), .watch(.ready, generation: 1), pending, .watch(.resumed, generation: 1),
                .watch(.changed, generation: 1), pending, pendingV2,
            ],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "read /wait/5", "read /wait/5", "finish /wait/5 record"],
            state: "idle"
        ),
        Case(
            name: "race: a late confirmation of an earlier watch cannot settle a newer one",
            events: [
                .request("/wait/5"), .watch(.unavailable, generation: 1), pending,
                .request("/wait/5"), .watch(.ready, generation: 1), .watch(.changed, generation: 1), .timer(2),
            ],
            trace: [
                "plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "finish /wait/5 record",
                "plan /wait/5", "watch /wait/5 g3, timer g4 at +5s",
            ],
            state: "waiting: subscribing g3"
        ),
        Case(
            name: "the connection closes while a long poll is parked: it is abandoned",
            events: [.request("/wait/5"), .watch(.ready, generation: 1), pending, .inactive, .watch(.changed, generation: 1)],
            trace: ["plan /wait/5", "watch /wait/5 g1, timer g2 at +5s", "read /wait/5", "abandon /wait/5"],
            state: "closed"
        ),
    ]

    static let streamsCases: [Case] = [
        Case(
            name: "stream: head and the first state, heartbeats, one event per new version, end on a terminal state",
            events: [
                .request("/stream"), .watch(.ready, generation: 1), pending, .advance(.seconds(15)), .timer(3), pending,
                .watch(.changed, generation: 1), processed,
            ],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then park, timer g3 at +15s",
                "stream heartbeat, then read", "stream nothing, then park, timer g4 at +30s", "read /stream", "finish /stream stream end job",
            ],
            state: "idle"
        ),
        Case(
            name: "stream: Last-Event-ID at the current version sends the head only",
            events: [.request("/stream?last=1"), .watch(.ready, generation: 1), pending],
            trace: ["plan /stream?last=1", "watch /stream?last=1 g1, timer g2 at +15s", "read /stream?last=1", "stream head, then park, timer g3 at +15s"],
            state: "waiting: parked"
        ),
        Case(
            name: "stream: an unknown job is answered as a poll is (404)",
            events: [.request("/stream"), .watch(.ready, generation: 1), .record(.missing)],
            trace: ["plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "finish /stream record"],
            state: "idle"
        ),
        Case(
            name: "stream: a job that expires ends the stream with a gone event",
            events: [.request("/stream"), .watch(.ready, generation: 1), pending, .timer(3), .record(.missing)],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then park, timer g3 at +15s",
                "stream heartbeat, then read", "finish /stream stream end gone",
            ],
            state: "idle"
        ),
        Case(
            name: "stream: HEAD sends the head and ends",
            events: [.request("/head-stream"), .watch(.ready, generation: 1), pending],
            trace: ["plan /head-stream", "watch /head-stream g1, timer g2 at +15s", "read /head-stream", "finish /head-stream stream end head"],
            state: "idle"
        ),
        Case(
            name: "stream to HTTP/1.0 ends by closing",
            events: [.request("/stream", version: .http1_0), .watch(.ready, generation: 1), processed],
            trace: ["plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "finish /stream stream end head+job, close"],
            state: "closing"
        ),
        Case(
            name: "stream: a failed read after the head carries on to the next heartbeat; before it, 503",
            events: [.request("/stream"), .watch(.ready, generation: 1), pending, .watch(.changed, generation: 1), .unavailable],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then park, timer g3 at +15s",
                "read /stream", "timer g4 at +15s",
            ],
            state: "waiting: parked"
        ),
        Case(
            name: "stream: a lost watch (the subscriber is back) re-reads, then watches again at once, then reads",
            events: [
                .request("/stream"), .watch(.ready, generation: 1), pending, .watch(.lost, generation: 1), pendingV2,
                .watch(.ready, generation: 4), pendingV2,
            ],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then park, timer g3 at +15s",
                "read /stream", "stream job, then watch g4, timer g5 at +15s", "read /stream", "stream nothing, then park, timer g6 at +15s",
            ],
            state: "waiting: parked"
        ),
        Case(
            name: "stream: its watch resumes: re-read, and only a newer version is sent",
            events: [
                .request("/stream"), .watch(.ready, generation: 1), pending, .watch(.resumed, generation: 1), pending,
                .watch(.resumed, generation: 1), pendingV2,
            ],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then park, timer g3 at +15s",
                "read /stream", "stream nothing, then park, timer g4 at +15s", "read /stream", "stream job, then park, timer g5 at +15s",
            ],
            state: "waiting: parked"
        ),
        Case(
            name: "stream: a lost watch during a read watches again after it",
            events: [.request("/stream"), .watch(.ready, generation: 1), .watch(.lost, generation: 1), pending],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then watch g3, timer g4 at +15s",
            ],
            state: "waiting: subscribing g3"
        ),
        Case(
            name: "stream: a watch that cannot be made is tried again a second later, without a heartbeat that is not due",
            events: [.request("/stream"), .watch(.unavailable, generation: 1), pending, .advance(.seconds(1)), .timer(3)],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then park, timer g3 at +1s",
                "watch /stream g4, timer g5 at +16s",
            ],
            state: "waiting: subscribing g4"
        ),
        Case(
            name: "stream: retrying its watch, it sends the heartbeat when one is due",
            events: [.request("/stream"), .watch(.unavailable, generation: 1), pending, .advance(.seconds(15)), .timer(3)],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then park, timer g3 at +1s",
                "stream heartbeat, then watch g4, timer g5 at +30s",
            ],
            state: "waiting: subscribing g4"
        ),
        Case(
            name: "stream: a client that lets output pile up is closed instead of buffered",
            events: [.request("/stream"), .watch(.ready, generation: 1), pending, .writable(false), .timer(3)],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then park, timer g3 at +15s",
                "close abort abandoning /stream",
            ],
            state: "closed"
        ),
    ]

    static let shutdownCases: [Case] = [
        Case(name: "quiesce: an idle connection closes now", events: [.quiesce], trace: ["close"], state: "closed"),
        Case(
            name: "quiesce: a parked long poll reads and answers, then closes",
            events: [.request("/wait/30"), .watch(.ready, generation: 1), pending, .quiesce, pending],
            trace: ["plan /wait/30", "watch /wait/30 g1, timer g2 at +30s", "read /wait/30", "read /wait/30", "finish /wait/30 record, close"],
            state: "closing"
        ),
        Case(
            name: "quiesce: a subscribing long poll reads and answers",
            events: [.request("/wait/30"), .quiesce, pending],
            trace: ["plan /wait/30", "watch /wait/30 g1, timer g2 at +30s", "read /wait/30", "finish /wait/30 record, close"],
            state: "closing"
        ),
        Case(
            name: "quiesce: a reading long poll answers from that read instead of parking",
            events: [.request("/wait/30"), .watch(.ready, generation: 1), .quiesce, pending],
            trace: ["plan /wait/30", "watch /wait/30 g1, timer g2 at +30s", "read /wait/30", "finish /wait/30 record, close"],
            state: "closing"
        ),
        Case(
            name: "quiesce: a long poll still being received is answered without waiting",
            events: [.head("/wait/30"), .quiesce, .end, pending],
            trace: ["plan /wait/30", "read /wait/30", "finish /wait/30 record, close"],
            state: "closing"
        ),
        Case(
            name: "quiesce: a parked stream ends after one more read",
            events: [.request("/stream"), .watch(.ready, generation: 1), pending, .quiesce, pending],
            trace: [
                "plan /stream", "watch /stream g1, timer g2 at +15s", "read /stream", "stream head+job, then park, timer g3 at +15s",
                "read /stream", "finish /stream stream end nothing, close",
            ],
            state: "closing"
        ),
        Case(
            name: "quiesce: a plain poll answers and closes",
            events: [.request("/poll"), .quiesce, pending],
            trace: ["plan /poll", "read /poll", "finish /poll record, close"],
            state: "closing"
        ),
    ]

    static let flowControlCases: [Case] = [
        Case(
            name: "while the channel is not writable no queued request starts and the socket is not read",
            events: [.writable(false), .request("/live"), .readRequest, .writable(true)],
            trace: ["hold read", "plan /live", "finish /live immediate", "resume reading"],
            state: "idle"
        ),
        Case(
            name: "a full queue holds reading until it drains",
            events: [
                .request("/poll"), .request("/live"), .request("/live"), .request("/live"), .request("/live"), .readRequest,
                .record(.missing),
            ],
            trace: [
                "plan /poll", "read /poll", "hold read", "finish /poll record", "plan /live", "finish /live immediate",
                "plan /live", "finish /live immediate", "plan /live", "finish /live immediate", "plan /live", "finish /live immediate",
                "resume reading",
            ],
            state: "idle"
        ),
        Case(
            name: "output the peer takes nothing of for the write timeout closes the connection and abandons the request",
            events: [
                .request("/wait/30"), .watch(.ready, generation: 1), pending, .tick(pending: 100), .advance(.seconds(9)),
                .tick(pending: 100), .advance(.seconds(1)), .tick(pending: 100),
            ],
            trace: ["plan /wait/30", "watch /wait/30 g1, timer g2 at +30s", "read /wait/30", "close abort abandoning /wait/30"],
            state: "closed"
        ),
        Case(
            name: "output the peer keeps taking, however slowly, restarts the write clock each time",
            events: [
                .request("/live"), .tick(pending: 100), .advance(.seconds(9)), .tick(pending: 100, delivered: 50), .advance(.seconds(9)),
                .tick(pending: 100, delivered: 50), .advance(.seconds(1)), .tick(pending: 100, delivered: 50),
            ],
            trace: ["plan /live", "finish /live immediate", "close abort"],
            state: "closed"
        ),
        Case(
            name: "output that drained stops the write clock",
            events: [.request("/live"), .tick(pending: 100), .advance(.seconds(9)), .tick(pending: 0), .advance(.seconds(9)), .tick(pending: 100)],
            trace: ["plan /live", "finish /live immediate"],
            state: "idle"
        ),
        Case(
            name: "an answer that closes but is never taken is discarded after the write timeout",
            events: [.request("/live", keepAlive: false), .advance(.seconds(10)), .tick(pending: 500)],
            trace: ["plan /live", "finish /live immediate, close", "close abort"],
            state: "closed"
        ),
        Case(
            name: "an idle connection closes after the idle timeout",
            events: [.request("/live"), .advance(.seconds(59)), .tick(pending: 0), .advance(.seconds(1)), .tick(pending: 0)],
            trace: ["plan /live", "finish /live immediate", "close"],
            state: "closed"
        ),
        Case(
            name: "a head that trickles in is closed after the header timeout",
            events: [.bytes, .advance(.seconds(10)), .tick(pending: 0)],
            trace: ["close"],
            state: "closed"
        ),
        Case(
            name: "a request whose end never comes is closed after the header timeout and abandoned",
            events: [.head("/wait/5"), .advance(.seconds(10)), .tick(pending: 0)],
            trace: ["plan /wait/5", "close abandoning /wait/5"],
            state: "closed"
        ),
        Case(
            name: "a new connection that sends nothing is closed after the header timeout, not the idle timeout",
            events: [.advance(.seconds(9)), .tick(pending: 0), .advance(.seconds(1)), .tick(pending: 0)],
            trace: ["close"],
            state: "closed"
        ),
        Case(
            name: "a new connection's first byte starts the header clock; after its answer the idle clock runs",
            events: [.advance(.seconds(9)), .bytes, .request("/live"), .advance(.seconds(9)), .tick(pending: 0)],
            trace: ["plan /live", "finish /live immediate"],
            state: "idle"
        ),
        Case(
            name: "lingering drops what the peer still sends and closes at the peer's end",
            events: [.request("/live", keepAlive: false), .closeWritten, .dropped(4096), .readRequest, .dropped(100), .inactive],
            trace: ["plan /live", "finish /live immediate, close", "linger", "read socket"],
            state: "closed"
        ),
        Case(
            name: "lingering ends when the peer sends nothing for the linger timeout",
            events: [.request("/live", keepAlive: false), .closeWritten, .advance(.seconds(1)), .tick(pending: 0), .advance(.seconds(1)), .tick(pending: 0)],
            trace: ["plan /live", "finish /live immediate, close", "linger", "close"],
            state: "closed"
        ),
        Case(
            name: "a peer that keeps sending is lingered on for the linger time, then closed",
            events: [.request("/live", keepAlive: false), .closeWritten]
                + Array(repeating: [ConnectionStateMachineDriver.Event.advance(.seconds(1)), .dropped(1000), .tick(pending: 0)], count: 10).flatMap { $0 },
            trace: ["plan /live", "finish /live immediate, close", "linger", "close"],
            state: "closed"
        ),
        Case(
            name: "a peer that keeps sending is not closed before the linger time",
            events: [.request("/live", keepAlive: false), .closeWritten]
                + Array(repeating: [ConnectionStateMachineDriver.Event.advance(.seconds(1)), .dropped(1000), .tick(pending: 0)], count: 9).flatMap { $0 },
            trace: ["plan /live", "finish /live immediate, close", "linger"],
            state: "lingering, 9000 dropped"
        ),
        Case(
            name: "shutting down leaves a lingering connection to end within its bounds",
            events: [.request("/live", keepAlive: false), .closeWritten, .quiesce],
            trace: ["plan /live", "finish /live immediate, close", "linger"],
            state: "lingering, 0 dropped"
        ),
        Case(
            name: "after a parse error nothing more is parsed: the socket is not read until the refusal",
            events: [.request("/poll"), .head("/live"), .parserError, .readRequest, .record(.missing)],
            trace: ["plan /poll", "read /poll", "hold read", "finish /poll record", "refuse, close"],
            state: "closing"
        ),
        Case(
            name: "lingering ends past the linger bytes",
            events: [.request("/live", keepAlive: false), .closeWritten, .dropped(8 * 1024 * 1024), .dropped(1)],
            trace: ["plan /live", "finish /live immediate, close", "linger", "close"],
            state: "closed"
        ),
        Case(
            name: "an answer that could not be written closes without lingering",
            events: [.request("/live", keepAlive: false), .closeFailed],
            trace: ["plan /live", "finish /live immediate, close", "close"],
            state: "closed"
        ),
        Case(
            name: "a refused request lingers too; the bytes that follow are never parsed",
            events: [.head("/live"), .parserError, .closeWritten, .request("/poll")],
            trace: ["plan /live", "abandon /live", "refuse, close", "linger"],
            state: "lingering, 0 dropped"
        ),
        Case(
            name: "before the last answer is written, bytes are input, not dropped",
            events: [.request("/live", keepAlive: false), .dropped(10)],
            trace: ["plan /live", "finish /live immediate, close", "input"],
            state: "closing"
        ),
        Case(
            name: "a long poll is not subject to the idle or header clocks",
            events: [.request("/wait/30"), .watch(.ready, generation: 1), pending, .advance(.seconds(25)), .tick(pending: 0)],
            trace: ["plan /wait/30", "watch /wait/30 g1, timer g2 at +30s", "read /wait/30"],
            state: "waiting: parked"
        ),
    ]

    static let malformedCases: [Case] = [
        Case(
            name: "a parser error while a request is received abandons it and refuses the connection",
            events: [.head("/wait/5"), .parserError],
            trace: ["plan /wait/5", "abandon /wait/5", "refuse, close"],
            state: "closing"
        ),
        Case(
            name: "a parser error after complete requests: they are answered first",
            events: [.request("/poll"), .request("/live"), .head("/live"), .parserError, .record(.missing)],
            trace: ["plan /poll", "read /poll", "finish /poll record", "plan /live", "finish /live immediate", "refuse, close"],
            state: "closing"
        ),
    ]

    @Test("requests", arguments: requestsCases)
    func requests(_ row: Case) { Self.check(row) }

    @Test("long polls", arguments: longPollsCases)
    func longPolls(_ row: Case) { Self.check(row) }

    @Test("event streams", arguments: streamsCases)
    func streams(_ row: Case) { Self.check(row) }

    @Test("shutdown", arguments: shutdownCases)
    func shutdown(_ row: Case) { Self.check(row) }

    @Test("flow control and timeouts", arguments: flowControlCases)
    func flowControl(_ row: Case) { Self.check(row) }

    @Test("malformed input", arguments: malformedCases)
    func malformed(_ row: Case) { Self.check(row) }

    private static func check(_ row: Case) {
        let driver = ConnectionStateMachineDriver(row.events)
        #expect(driver.trace == row.trace, "\(row.name)")
        #expect(driver.stateName == row.state, "\(row.name)")
    }
}

@Suite("Connection state machine: output sampling")
struct OutputSamplingTests {
    @Test("a connection that only waits needs no output sample; one that wrote does, until it is seen drained")
    func sampling() {
        var driver = ConnectionStateMachineDriver([.request("/wait/30"), .watch(.ready, generation: 1), ConnectionStateMachineTests.pending])
        // A new connection is looked at once; then, parked and silent, never again.
        #expect(driver.machine.needsOutputSample)
        driver.apply(.advance(.seconds(1)))
        driver.apply(.tick(pending: 0))
        #expect(!driver.machine.needsOutputSample)
        driver.apply(.watch(.changed, generation: 1))
        driver.apply(ConnectionStateMachineTests.pendingV2)
        #expect(driver.machine.needsOutputSample, "the answer was written")
        driver.apply(.advance(.seconds(1)))
        driver.apply(.tick(pending: 0))
        #expect(!driver.machine.needsOutputSample, "and then seen drained")
    }
}
