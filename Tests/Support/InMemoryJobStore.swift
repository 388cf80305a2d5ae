public import JobStatusCore

/// A job store held in memory, for unit tests and fuzzing: records by id, and watches whose
/// every step — confirmation, refusal, change, loss — the test decides.
///
/// Like the real store it is used on one event loop (here: whatever thread drives the test) and
/// may answer before the call that asked returns; unlike it, it can also hold reads and watch
/// set-ups until the test releases them, which is how the races of a real deployment are played.
public final class InMemoryJobStore: JobStore {
    public enum ReadBehaviour: Sendable {
        /// Answer from the records at once.
        case answer
        /// Answer "unavailable" at once (the store is down).
        case fail
        /// Keep the read until `completeHeldReads` or `failHeldReads`.
        case hold
    }

    public enum WatchBehaviour: Sendable {
        /// Ready at once.
        case confirm
        /// Unavailable at once (no subscriber connection).
        case refuse
        /// Pending until `settleHeldWatches`.
        case hold
    }

    public var readBehaviour = ReadBehaviour.answer
    public var watchBehaviour = WatchBehaviour.confirm
    /// What `probe` answers.
    public var isReady = true
    /// For ids without a record of their own (fuzzing picks canned records by id).
    public var fallback: ((Substring) -> StoredRecord?)?
    /// Records asked for so far (a list read counts each of its ids).
    public private(set) var readCount = 0

    private var records: [String: StoredRecord] = [:]
    private var sessions: [ObjectIdentifier: InMemoryJobSession] = [:]

    public init() {}

    public func makeSession(delegate: any JobStoreDelegate) -> any JobStoreSession {
        let session = InMemoryJobSession(store: self, delegate: delegate)
        self.sessions[ObjectIdentifier(session)] = session
        return session
    }

    /// Stores a record (replacing the job's) and tells its watchers it changed.
    public func write(_ id: String, _ fields: [JobRecordField: String]) {
        self.records[id] = StoredRecord(fields)
        for session in self.liveSessions {
            session.jobChanged(id)
        }
    }

    /// Removes a record (it expired); watchers are not told, as Redis does not publish expiries.
    public func expire(_ id: String) {
        self.records[id] = nil
    }

    /// Answers every held read from the records.
    public func completeHeldReads() {
        for session in self.liveSessions { session.completeHeldRead(failing: false) }
    }

    /// Answers every held read with "unavailable".
    public func failHeldReads() {
        for session in self.liveSessions { session.completeHeldRead(failing: true) }
    }

    /// Settles every watch still being set up.
    public func settleHeldWatches(subscribed: Bool) {
        for session in self.liveSessions { session.settleHeldWatch(subscribed: subscribed) }
    }

    /// The subscriber connection dropped: watches in place are lost, those being set up fail.
    public func loseWatches() {
        for session in self.liveSessions { session.loseWatch() }
    }

    /// Jobs watched right now (set up or being set up), by id.
    public var watchedIDs: [String] { self.liveSessions.flatMap(\.watchedIDs).sorted() }

    /// Reads waiting for `completeHeldReads`.
    public var heldReadCount: Int { self.liveSessions.filter(\.hasHeldRead).count }

    /// Sessions not closed yet.
    public var openSessionCount: Int { self.liveSessions.count }

    private var liveSessions: [InMemoryJobSession] { Array(self.sessions.values) }

    func record(_ id: Substring) -> StoredRecord? {
        self.records[String(id)] ?? self.fallback?(id)
    }

    func countRead(_ records: Int) {
        self.readCount += records
    }

    func closed(_ session: InMemoryJobSession) {
        self.sessions[ObjectIdentifier(session)] = nil
    }
}
