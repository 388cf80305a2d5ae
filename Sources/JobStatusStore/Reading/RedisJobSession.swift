import JobStatusCore
import NIOCore
import RedisWire

/// One connection's reads and watch on a `RedisJobStore`.
///
/// The session is the receiver of its own Redis replies, made once per connection, so a read
/// costs no allocation: the `HMGET` reply is checked against the record contract in place and
/// handed to the delegate as a `JobReadOutcome`. A list read sends one `HMGET` per job at once,
/// each with a small receiver of its own (in a cluster the nodes answer in any order); a held
/// list answers a job from the `JobVersionBook` instead when the instance's subscription shows
/// it unchanged since it was read. A read of a watched job older than a version already
/// announced (a replica behind its primary) is sent again, up to `staleRereads` times. Replies
/// that arrive after `close` are dropped.
final class RedisJobSession: JobStoreSession, RedisReplyReceiver {
    /// The command in flight, and what its reply needs.
    private enum Command {
        case none
        /// `watched`: the job is watched, and the reply is checked against announced versions.
        case read(caller: String?, ifNoneMatch: String?, watched: WatchedRead?)
        case probe
    }

    /// A read of a watched job: what sending it again takes.
    struct WatchedRead {
        let id: Substring
        let key: String
        let rereads: Int
    }

    /// How many times a read older than an announced version is sent again before it is taken.
    static let staleRereads = 3

    /// The list read in flight: how many of its replies are still to come, the first failure.
    private struct ListRead {
        let number: UInt64
        let caller: String?
        var outstanding: Int
        var failure: JobStoreFailure?
    }

    /// The jobs of the watch in place, and how many of them are not confirmed yet.
    private struct Watched {
        let keys: [String]
        let generation: UInt64
        var unconfirmed: Int
    }

    private let store: RedisJobStore
    private var delegate: (any JobStoreDelegate)?
    private var command = Command.none
    private var list: ListRead?
    private var listReads: UInt64 = 0
    private var watched: Watched?

    init(store: RedisJobStore, delegate: any JobStoreDelegate) {
        self.store = store
        self.delegate = delegate
    }

    func read(id: Substring, caller: String?, ifNoneMatch: String?) {
        let watched = self.watched.map { _ in WatchedRead(id: id, key: self.store.keyPrefixText + id, rereads: 0) }
        self.command = .read(caller: caller, ifNoneMatch: ifNoneMatch, watched: watched)
        self.sendRead(id: id, to: self)
    }

    func readList(ids: [Substring], caller: String?, held: Bool) {
        self.listReads += 1
        let number = self.listReads
        self.list = ListRead(number: number, caller: caller, outstanding: ids.count)
        guard !ids.isEmpty else {
            self.listItemFinished(number, failure: nil)
            return
        }
        let now = NIODeadline.now()
        for (index, id) in ids.enumerated() {
            // Only a held list's jobs are watched: a plain list read builds no key and takes no lock.
            guard held else {
                self.sendRead(id: id, to: ListItemReceiver(session: self, read: number, index: index, id: id, key: nil, epoch: nil, rereads: 0))
                continue
            }
            let key = self.store.keyPrefixText + id
            if let record = self.store.book.record(of: key, now: now) {
                if let delegate = self.delegate, let list = self.list, list.number == number {
                    record.withView { view in
                        self.decide(view, caller: list.caller, ifNoneMatch: nil) { delegate.listItemRead(at: index, $0) }
                    }
                }
                self.listItemFinished(number, failure: nil)
                continue
            }
            let epoch = self.store.book.epoch(of: key)
            self.sendRead(id: id, to: ListItemReceiver(session: self, read: number, index: index, id: id, key: key, epoch: epoch, rereads: 0))
        }
    }

    private func sendRead(id: Substring, to receiver: any RedisReplyReceiver) {
        var id = id
        id.withUTF8 { id in
            JobRecordQuery.withKey(prefix: self.store.keyPrefix, id: UnsafeRawBufferPointer(id)) { key in
                self.store.router.send(key: key, readOnly: true, to: receiver) { buffer in
                    JobRecordQuery.encode(key: key, into: &buffer)
                }
            }
        }
    }

    /// Whether `reply` (a record of `key`) is older than a version announced for it.
    private func isStale(_ reply: RedisReply, key: String) -> Bool {
        guard let announced = self.store.book.announcedVersion(of: key), let record = JobRecordQuery.view(of: reply),
            let version = EntityTag(version: record[.version], createdAt: record[.createdAt])?.versionNumber
        else { return false }
        return version < announced
    }

    func probe() {
        self.command = .probe
        self.store.router.send(to: self) { buffer in
            RedisCommandEncoder.encode(["PING"], into: &buffer)
        }
    }

    func watch(ids: [Substring], generation: UInt64) {
        self.endWatch()
        let keys = ids.map { self.store.keyPrefixText + $0 }
        self.watched = Watched(keys: keys, generation: generation, unconfirmed: keys.count)
        guard !keys.isEmpty else {
            self.delegate?.watchEvent(.ready, generation: generation)
            return
        }
        for key in keys {
            // A job refused while the others are registered ends the whole watch: stop there.
            guard self.watched?.generation == generation else { return }
            self.store.registry.watch(key, self, generation: generation)
        }
    }

    func endWatch() {
        guard let watched = self.watched else { return }
        self.watched = nil
        for key in watched.keys {
            self.store.registry.unwatch(key, self, generation: watched.generation)
        }
    }

    func close() {
        self.endWatch()
        self.delegate = nil
    }

    /// From the registry, about one of the watched jobs.
    func watchEvent(_ event: JobWatchEvent, generation: UInt64) {
        guard var watched = self.watched, watched.generation == generation else { return }
        switch event {
        case .ready:
            watched.unconfirmed -= 1
            self.watched = watched
            guard watched.unconfirmed == 0 else { return }
        case .changed, .resumed:
            break
        case .unavailable, .lost:
            // One job unwatched is a watch that can miss changes: it ends for all of them (the
            // registry already forgot this job).
            self.endWatch()
        }
        self.delegate?.watchEvent(event, generation: generation)
    }

    /// One reply of the list read `number`, for the id at `index` (`item`).
    fileprivate func listItem(_ number: UInt64, _ item: ListItemReceiver, _ reply: RedisReply) {
        guard let list = self.list, list.number == number else { return }
        if let code = reply.errorCode, code != .wrongType {
            self.listItemFinished(number, failure: .refused(reply.string))
            return
        }
        if let key = item.key, item.rereads < Self.staleRereads, self.isStale(reply, key: key) {
            self.sendRead(id: item.id, to: item.again())
            return
        }
        if let key = item.key, let epoch = item.epoch, let record = JobRecordQuery.view(of: reply),
            let copy = CachedRecord(record, readAt: .now())
        {
            self.store.book.remember(key, copy, epoch: epoch)
        }
        if let delegate = self.delegate {
            self.decide(reply, caller: list.caller, ifNoneMatch: nil) { delegate.listItemRead(at: item.index, $0) }
        }
        self.listItemFinished(number, failure: nil)
    }

    fileprivate func listItemFinished(_ number: UInt64, failure: JobStoreFailure?) {
        guard var list = self.list, list.number == number else { return }
        list.outstanding -= 1
        list.failure = list.failure ?? failure
        guard list.outstanding <= 0 else {
            self.list = list
            return
        }
        self.list = nil
        self.delegate?.listRead(failure: list.failure)
    }

    // MARK: - RedisReplyReceiver

    func receive(_ reply: RedisReply) {
        let command = self.command
        self.command = .none
        guard let delegate = self.delegate else { return }
        switch command {
        case .none:
            break
        case .probe:
            delegate.probed(
                reply.kind == .simpleString && reply.bytesEqual("PONG") ? .ready : .unavailable(reason: "PING answered \(reply.value)")
            )
        case .read(let caller, let ifNoneMatch, let watched):
            if let code = reply.errorCode, code != .wrongType {
                delegate.recordUnavailable(.refused(reply.string))
                return
            }
            if let watched, watched.rereads < Self.staleRereads, self.isStale(reply, key: watched.key) {
                let again = WatchedRead(id: watched.id, key: watched.key, rereads: watched.rereads + 1)
                self.command = .read(caller: caller, ifNoneMatch: ifNoneMatch, watched: again)
                self.sendRead(id: watched.id, to: self)
                return
            }
            self.decide(reply, caller: caller, ifNoneMatch: ifNoneMatch) { delegate.recordRead($0) }
        }
    }

    /// What an `HMGET` reply (or its `WRONGTYPE` error) means for `caller`, handed to `body`
    /// while the reply it borrows is valid.
    private func decide(_ reply: RedisReply, caller: String?, ifNoneMatch: String?, _ body: (JobReadOutcome) -> Void) {
        if reply.kind == .error {
            body(.contractViolation("the key does not hold a hash"))
            return
        }
        guard let record = JobRecordQuery.view(of: reply) else {
            body(.contractViolation("HMGET answered \(reply.value)"))
            return
        }
        self.decide(record, caller: caller, ifNoneMatch: ifNoneMatch, body)
    }

    /// What `record` means for `caller`, handed to `body` while the record it borrows is valid.
    private func decide(_ record: JobRecordView, caller: String?, ifNoneMatch: String?, _ body: (JobReadOutcome) -> Void) {
        var caller = caller
        var ifNoneMatch = ifNoneMatch
        let outcome: JobReadOutcome = Self.withOptionalUTF8(&caller) { caller in
            Self.withOptionalUTF8(&ifNoneMatch) { ifNoneMatch in
                JobReadOutcome.decide(record, caller: caller, ifNoneMatch: ifNoneMatch)
            }
        }
        body(outcome)
    }

    func fail(_ error: RedisError) {
        let command = self.command
        self.command = .none
        guard let delegate = self.delegate else { return }
        switch command {
        case .none: break
        case .probe: delegate.probed(.unavailable(reason: error.description))
        case .read: delegate.recordUnavailable(Self.failure(error))
        }
    }

    static func failure(_ error: RedisError) -> JobStoreFailure {
        if case .server(let reply) = error { return .refused(reply.message) }
        return .unavailable(error.description)
    }

    private static func withOptionalUTF8<Result>(
        _ text: inout String?,
        _ body: (UnsafeRawBufferPointer?) -> Result
    ) -> Result {
        guard var value = text else { return body(nil) }
        return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}

/// The receiver of one `HMGET` of a list read: which read, which of its ids, and what keeping
/// the record or reading it again takes.
private final class ListItemReceiver: RedisReplyReceiver {
    private let session: RedisJobSession
    private let read: UInt64
    let index: Int
    let id: Substring
    /// The job key, for a held list's read (checked against announced versions, kept in the book).
    let key: String?
    /// The stretch of subscription the read was sent in; nil: the job is not subscribed.
    let epoch: UInt64?
    let rereads: Int

    init(session: RedisJobSession, read: UInt64, index: Int, id: Substring, key: String?, epoch: UInt64?, rereads: Int) {
        self.session = session
        self.read = read
        self.index = index
        self.id = id
        self.key = key
        self.epoch = epoch
        self.rereads = rereads
    }

    /// The receiver of the same read sent again.
    func again() -> ListItemReceiver {
        ListItemReceiver(session: self.session, read: self.read, index: self.index, id: self.id, key: self.key, epoch: self.epoch, rereads: self.rereads + 1)
    }

    func receive(_ reply: RedisReply) {
        self.session.listItem(self.read, self, reply)
    }

    func fail(_ error: RedisError) {
        self.session.listItemFinished(self.read, failure: RedisJobSession.failure(error))
    }
}
