/// Where the front reads job records and learns that they changed: the seam between the HTTP
/// connection and the database.
///
/// Above it a connection asks for "the record of this id, as this caller sees it" and "tell me when
/// this job changes"; below it live the Redis command, its reply, `WRONGTYPE`, and the pub/sub
/// bookkeeping. The front uses `RedisJobStore` (JobStatusStore); tests and fuzzing use an in-memory
/// store (JobStatusTestSupport). One store serves one event loop and is only used on it.
public protocol JobStore: AnyObject {
    /// A session for one connection; `delegate` receives what the session's requests produce.
    func makeSession(delegate: any JobStoreDelegate) -> any JobStoreSession
}

/// One connection's use of a `JobStore`: at most one read (of one job or of a list, or a probe)
/// and one watch at a time, which is all one HTTP connection answering its requests in order needs.
///
/// Results arrive at the delegate on the store's event loop, possibly before the call that asked
/// for them returns.
public protocol JobStoreSession: AnyObject {
    /// Reads the record of `id`; the delegate gets `recordRead` or `recordUnavailable`.
    ///
    /// - Parameters:
    ///   - caller: the authenticated client (ownership is enforced), or nil when authorization is off.
    ///   - ifNoneMatch: the request's `If-None-Match`, or nil.
    func read(id: Substring, caller: String?, ifNoneMatch: String?)

    /// Reads the records of `ids` (valid job ids, each once), every command sent at once; the
    /// delegate gets `listItemRead` for each record read, in any order (in a cluster, as each node
    /// answers), then `listRead` once every id has its answer or failure.
    ///
    /// - Parameter held: the read is one of a held list (a long poll, which a later change wakes
    ///   again): a job the store's subscription shows unchanged since it was last read may be
    ///   answered from that read, without a command. A read a client takes as final is never
    ///   answered that way.
    func readList(ids: [Substring], caller: String?, held: Bool)

    /// Checks that the store answers; the delegate gets `probed`.
    func probe()

    /// Starts watching the jobs `ids` (each once) as one watch: the delegate gets `.ready` once
    /// every job is watched or `.unavailable` as soon as one cannot be, then `.changed` for each
    /// write to any of them, `.resumed` after an interruption and `.lost` if the watch breaks, every
    /// event tagged with `generation`.
    /// A watch that is still in place is replaced.
    func watch(ids: [Substring], generation: UInt64)

    /// Stops watching; events of the ended watch are no longer delivered. Harmless without a watch.
    func endWatch()

    /// Ends the session (the connection closed): nothing more reaches the delegate.
    func close()
}

/// What a session reports; called on the store's event loop.
public protocol JobStoreDelegate: AnyObject {
    /// The outcome of `read`. The outcome borrows the reply: it is only valid during this call.
    func recordRead(_ outcome: JobReadOutcome)

    /// `read` got no answer: the store is unreachable, timed out, or refused the command.
    func recordUnavailable(_ failure: JobStoreFailure)

    /// One record of `readList`: the id at `index` of the ids asked for. The outcome borrows the
    /// reply: it is only valid during this call.
    func listItemRead(at index: Int, _ outcome: JobReadOutcome)

    /// Every id of `readList` has its answer; `failure`: the first read that got none (whose
    /// item had no `listItemRead`).
    func listRead(failure: JobStoreFailure?)

    /// The outcome of `probe`.
    func probed(_ health: StoreHealth)

    /// Something happened to the watch started with `generation`.
    func watchEvent(_ event: JobWatchEvent, generation: UInt64)
}

/// Why a read got no record.
public enum JobStoreFailure: Sendable, Equatable {
    /// The store cannot be reached or did not answer in time: worth retrying.
    case unavailable(String)
    /// The store answered with an error of its own (it is up, but refused the command): logged.
    case refused(String)
}

/// The life of a watch, as its session reports it.
public enum JobWatchEvent: Sendable, Equatable {
    /// Changes of the job will be reported from now on: a read made after this sees every write
    /// that is not reported.
    case ready
    /// The watch could not be set up; nothing will be reported.
    case unavailable
    /// The job was written: read it again.
    case changed
    /// The watch broke for good (its subscription could not be made again): changes may have been
    /// missed and none will be reported any more.
    case lost
    /// The watch was interrupted (its subscription lost to a slot migration, a failover, a
    /// reconnect) and is in place again: writes made meanwhile were reported to nobody. Read
    /// again, and answer only what is new.
    case resumed
}
