import JobStatusCore
import RedisWire

/// One connection's reads and watch on a `RedisJobStore`.
///
/// The session is the receiver of its own Redis replies, made once per connection, so a read
/// costs no allocation: the `HMGET` reply is checked against the record contract in place and
/// handed to the delegate as a `JobReadOutcome`. A list read sends one `HMGET` per job at once,
/// each with a small receiver of its own (in a cluster the nodes answer in any order). Replies
/// that arrive after `close` are dropped.
final class RedisJobSession: JobStoreSession, RedisReplyReceiver {
    /// The command in flight, and what its reply needs.
    private enum Command {
        case none
        case read(caller: String?, ifNoneMatch: String?)
        case probe
    }

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
        self.command = .read(caller: caller, ifNoneMatch: ifNoneMatch)
        var id = id
        id.withUTF8 { id in
            JobRecordQuery.withKey(prefix: self.store.keyPrefix, id: UnsafeRawBufferPointer(id)) { key in
                self.store.router.send(key: key, readOnly: true, to: self) { buffer in
                    JobRecordQuery.encode(key: key, into: &buffer)
                }
            }
        }
    }

    func readList(ids: [Substring], caller: String?) {
        self.listReads += 1
        let number = self.listReads
        self.list = ListRead(number: number, caller: caller, outstanding: ids.count)
        guard !ids.isEmpty else {
            self.listItemFinished(number, failure: nil)
            return
        }
        for (index, id) in ids.enumerated() {
            var id = id
            let receiver = ListItemReceiver(session: self, read: number, index: index)
            id.withUTF8 { id in
                JobRecordQuery.withKey(prefix: self.store.keyPrefix, id: UnsafeRawBufferPointer(id)) { key in
                    self.store.router.send(key: key, readOnly: true, to: receiver) { buffer in
                        JobRecordQuery.encode(key: key, into: &buffer)
                    }
                }
            }
        }
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
        case .changed:
            break
        case .unavailable, .lost:
            // One job unwatched is a watch that can miss changes: it ends for all of them (the
            // registry already forgot this job).
            self.endWatch()
        }
        self.delegate?.watchEvent(event, generation: generation)
    }

    /// One reply of the list read `number`, for the id at `index`.
    fileprivate func listItem(_ number: UInt64, at index: Int, _ reply: RedisReply) {
        guard let list = self.list, list.number == number else { return }
        if let code = reply.errorCode, code != .wrongType {
            self.listItemFinished(number, failure: .refused(reply.string))
            return
        }
        if let delegate = self.delegate {
            self.decide(reply, caller: list.caller, ifNoneMatch: nil) { delegate.listItemRead(at: index, $0) }
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
        case .read(let caller, let ifNoneMatch):
            if let code = reply.errorCode, code != .wrongType {
                delegate.recordUnavailable(.refused(reply.string))
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

/// The receiver of one `HMGET` of a list read: which read, and which of its ids.
private final class ListItemReceiver: RedisReplyReceiver {
    private let session: RedisJobSession
    private let read: UInt64
    private let index: Int

    init(session: RedisJobSession, read: UInt64, index: Int) {
        self.session = session
        self.read = read
        self.index = index
    }

    func receive(_ reply: RedisReply) {
        self.session.listItem(self.read, at: self.index, reply)
    }

    func fail(_ error: RedisError) {
        self.session.listItemFinished(self.read, failure: RedisJobSession.failure(error))
    }
}
