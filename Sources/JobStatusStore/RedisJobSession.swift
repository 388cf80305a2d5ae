import JobStatusCore
import RedisWire

/// One connection's reads and watch on a `RedisJobStore`.
///
/// The session is the receiver of its own Redis replies, made once per connection, so a read
/// costs no allocation: the `HMGET` reply is checked against the record contract in place and
/// handed to the delegate as a `JobReadOutcome`. Replies that arrive after `close` are dropped.
final class RedisJobSession: JobStoreSession, RedisReplyReceiver {
    /// The command in flight, and what its reply needs.
    private enum Command {
        case none
        case read(caller: String?, ifNoneMatch: String?)
        case probe
    }

    private let store: RedisJobStore
    private var delegate: (any JobStoreDelegate)?
    private var command = Command.none
    private var watched: (key: String, generation: UInt64)?

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

    func probe() {
        self.command = .probe
        self.store.router.send(to: self) { buffer in
            RedisCommandEncoder.encode(["PING"], into: &buffer)
        }
    }

    func watch(id: Substring, generation: UInt64) {
        self.endWatch()
        let key = self.store.keyPrefixText + id
        self.watched = (key, generation)
        self.store.registry.watch(key, self, generation: generation)
    }

    func endWatch() {
        guard let watched = self.watched else { return }
        self.watched = nil
        self.store.registry.unwatch(watched.key, self, generation: watched.generation)
    }

    func close() {
        self.endWatch()
        self.delegate = nil
    }

    /// From the registry.
    func watchEvent(_ event: JobWatchEvent, generation: UInt64) {
        guard let watched = self.watched, watched.generation == generation else { return }
        if event == .unavailable || event == .lost {
            // The registry already forgot this watch.
            self.watched = nil
        }
        self.delegate?.watchEvent(event, generation: generation)
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
            if reply.kind == .error {
                let message = reply.string
                if message.hasPrefix("WRONGTYPE") {
                    delegate.recordRead(.contractViolation("the key does not hold a hash"))
                } else {
                    delegate.recordUnavailable(.refused(message))
                }
                return
            }
            guard let record = JobRecordQuery.view(of: reply) else {
                delegate.recordRead(.contractViolation("HMGET answered \(reply.value)"))
                return
            }
            var caller = caller
            var ifNoneMatch = ifNoneMatch
            let outcome: JobReadOutcome = Self.withOptionalUTF8(&caller) { caller in
                Self.withOptionalUTF8(&ifNoneMatch) { ifNoneMatch in
                    JobReadOutcome.decide(record, caller: caller, ifNoneMatch: ifNoneMatch)
                }
            }
            delegate.recordRead(outcome)
        }
    }

    func fail(_ error: RedisError) {
        let command = self.command
        self.command = .none
        guard let delegate = self.delegate else { return }
        switch command {
        case .none: break
        case .probe: delegate.probed(.unavailable(reason: error.description))
        case .read:
            if case .server(let message) = error {
                delegate.recordUnavailable(.refused(message))
            } else {
                delegate.recordUnavailable(.unavailable(error.description))
            }
        }
    }

    private static func withOptionalUTF8<Result>(
        _ text: inout String?,
        _ body: (UnsafeRawBufferPointer?) -> Result
    ) -> Result {
        guard var value = text else { return body(nil) }
        return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
