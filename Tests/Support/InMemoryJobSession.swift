import JobStatusCore

/// One connection's session on an `InMemoryJobStore`.
final class InMemoryJobSession: JobStoreSession {
    private enum Watch {
        case settingUp(id: String, generation: UInt64)
        case active(id: String, generation: UInt64)

        var id: String {
            switch self {
            case .settingUp(let id, _), .active(let id, _): id
            }
        }
    }

    private struct HeldRead {
        let id: Substring
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

    var watchedID: String? { self.watch?.id }
    var hasHeldRead: Bool { self.heldRead != nil }

    func read(id: Substring, caller: String?, ifNoneMatch: String?) {
        self.store.countRead()
        let read = HeldRead(id: id, caller: caller, ifNoneMatch: ifNoneMatch)
        switch self.store.readBehaviour {
        case .answer: self.answer(read)
        case .fail: self.delegate?.recordUnavailable(.unavailable("the in-memory store is set to fail"))
        case .hold: self.heldRead = read
        }
    }

    func probe() {
        self.delegate?.probed(self.store.isReady ? .ready : .unavailable(reason: "the in-memory store is down"))
    }

    func watch(id: Substring, generation: UInt64) {
        switch self.store.watchBehaviour {
        case .confirm:
            self.watch = .active(id: String(id), generation: generation)
            self.delegate?.watchEvent(.ready, generation: generation)
        case .refuse:
            self.watch = nil
            self.delegate?.watchEvent(.unavailable, generation: generation)
        case .hold:
            self.watch = .settingUp(id: String(id), generation: generation)
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
        guard case .active(id, let generation) = self.watch else { return }
        self.delegate?.watchEvent(.changed, generation: generation)
    }

    func completeHeldRead(failing: Bool) {
        guard let read = self.heldRead else { return }
        self.heldRead = nil
        if failing {
            self.delegate?.recordUnavailable(.unavailable("the in-memory store failed the held read"))
        } else {
            self.answer(read)
        }
    }

    func settleHeldWatch(subscribed: Bool) {
        guard case .settingUp(let id, let generation) = self.watch else { return }
        self.watch = subscribed ? .active(id: id, generation: generation) : nil
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

    private func answer(_ read: HeldRead) {
        guard let delegate = self.delegate else { return }
        let record = self.store.record(read.id)
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
            delegate.recordRead(outcome)
        }
    }
}

private func withOptionalBytes<Result>(_ text: inout String?, _ body: (UnsafeRawBufferPointer?) -> Result) -> Result {
    guard var value = text else { return body(nil) }
    return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}
