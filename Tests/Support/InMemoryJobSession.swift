import JobStatusCore

/// One connection's session on an `InMemoryJobStore`.
final class InMemoryJobSession: JobStoreSession {
    private enum Watch {
        case settingUp(ids: [String], generation: UInt64)
        case active(ids: [String], generation: UInt64)

        var ids: [String] {
            switch self {
            case .settingUp(let ids, _), .active(let ids, _): ids
            }
        }
    }

    private struct HeldRead {
        let ids: [Substring]
        /// A list read (answered item by item), or a poll.
        let isList: Bool
        let caller: String?
        let ifNoneMatch: String?
    }

    private unowned let store: InMemoryJobStore
    private var delegate: (any JobStoreDelegate)?
    private var watch: Watch?
    private var heldRead: HeldRead?

    init(store: InMemoryJobStore, delegate: any JobStoreDelegate) {
        self.store = store
        self.delegate = delegate
    }

    var watchedIDs: [String] { self.watch?.ids ?? [] }
    var hasHeldRead: Bool { self.heldRead != nil }

    func read(id: Substring, caller: String?, ifNoneMatch: String?) {
        self.start(HeldRead(ids: [id], isList: false, caller: caller, ifNoneMatch: ifNoneMatch))
    }

    func readList(ids: [Substring], caller: String?, held: Bool) {
        self.start(HeldRead(ids: ids, isList: true, caller: caller, ifNoneMatch: nil))
    }

    private func start(_ read: HeldRead) {
        self.store.countRead(read.ids.count)
        switch self.store.readBehaviour {
        case .answer: self.answer(read)
        case .fail: self.fail(read, "the in-memory store is set to fail")
        case .hold: self.heldRead = read
        }
    }

    func probe() {
        self.delegate?.probed(self.store.isReady ? .ready : .unavailable(reason: "the in-memory store is down"))
    }

    func watch(ids: [Substring], generation: UInt64) {
        let ids = ids.map(String.init)
        switch self.store.watchBehaviour {
        case .confirm:
            self.watch = .active(ids: ids, generation: generation)
            self.delegate?.watchEvent(.ready, generation: generation)
        case .refuse:
            self.watch = nil
            self.delegate?.watchEvent(.unavailable, generation: generation)
        case .hold:
            self.watch = .settingUp(ids: ids, generation: generation)
        }
    }

    func endWatch() {
        self.watch = nil
    }

    func close() {
        self.watch = nil
        self.heldRead = nil
        self.delegate = nil
        self.store.closed(self)
    }

    // MARK: - Driven by the store

    func jobChanged(_ id: String) {
        guard case .active(let ids, let generation) = self.watch, ids.contains(id) else { return }
        self.delegate?.watchEvent(.changed, generation: generation)
    }

    func completeHeldRead(failing: Bool) {
        guard let read = self.heldRead else { return }
        self.heldRead = nil
        if failing {
            self.fail(read, "the in-memory store failed the held read")
        } else {
            self.answer(read)
        }
    }

    func settleHeldWatch(subscribed: Bool) {
        guard case .settingUp(let ids, let generation) = self.watch else { return }
        self.watch = subscribed ? .active(ids: ids, generation: generation) : nil
        self.delegate?.watchEvent(subscribed ? .ready : .unavailable, generation: generation)
    }

    func loseWatch() {
        switch self.watch {
        case .active(_, let generation):
            self.watch = nil
            self.delegate?.watchEvent(.lost, generation: generation)
        case .settingUp(_, let generation):
            self.watch = nil
            self.delegate?.watchEvent(.unavailable, generation: generation)
        case nil:
            break
        }
    }

    private func fail(_ read: HeldRead, _ reason: String) {
        if read.isList {
            self.delegate?.listRead(failure: .unavailable(reason))
        } else {
            self.delegate?.recordUnavailable(.unavailable(reason))
        }
    }

    private func answer(_ read: HeldRead) {
        for (index, id) in read.ids.enumerated() {
            guard let delegate = self.delegate else { return }
            let record = self.store.record(id)
            let view = record?.view ?? JobRecordView()
            var caller = read.caller
            var ifNoneMatch = read.ifNoneMatch
            let outcome = withOptionalBytes(&caller) { caller in
                withOptionalBytes(&ifNoneMatch) { ifNoneMatch in
                    JobReadOutcome.decide(view, caller: caller, ifNoneMatch: ifNoneMatch)
                }
            }
            // The outcome borrows the record's bytes: keep them until the delegate is done.
            withExtendedLifetime(record) {
                if read.isList {
                    delegate.listItemRead(at: index, outcome)
                } else {
                    delegate.recordRead(outcome)
                }
            }
        }
        if read.isList {
            self.delegate?.listRead(failure: nil)
        }
    }
}

private func withOptionalBytes<Result>(_ text: inout String?, _ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
    guard var value = text else { return body(nil) }
    return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}
