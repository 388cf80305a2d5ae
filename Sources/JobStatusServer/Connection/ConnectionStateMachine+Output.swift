import NIOCore

/// Flow control and the connection's clocks: writability, and the coarse tick that enforces
/// `http.idle_timeout`, `http.header_timeout` (also the first-byte timeout of a new connection),
/// `http.write_timeout` and the lingering close's bound.
extension ConnectionStateMachine {
    /// Whether output is waiting for the peer, since when it made no progress, and how much the
    /// peer had acknowledged then.
    enum Output {
        /// Nothing was waiting when last looked at.
        case drained(checkedAt: NIODeadline)
        case pending(since: NIODeadline, delivered: UInt64)
    }

    /// Whether the next tick needs an `OutputSample`: output was waiting, or something was written
    /// since it was last seen drained. A connection that only waits (a parked long poll) costs its
    /// tick no system call.
    var needsOutputSample: Bool {
        switch self.output {
        case .drained(let checkedAt): self.lastWrite >= checkedAt
        case .pending: true
        }
    }

    /// NIO reported a writability change. Becoming writable lets `pump` start queued requests and
    /// read again; while unwritable, nothing queued starts.
    mutating func writabilityChanged(isWritable: Bool) -> Action {
        self.isWritable = isWritable
        return .none
    }

    /// The coarse per-connection check; `sample` is nil when `needsOutputSample` said none was needed.
    mutating func tick(now: NIODeadline, output sample: OutputSample?) -> Action {
        switch self.state {
        case .idle(let since) where now - since >= self.limits.idleTimeout:
            return self.closeNow(abort: false)
        case .opened(let since) where now - since >= self.limits.headerTimeout,
            .receivingHead(let since) where now - since >= self.limits.headerTimeout,
            .receiving(_, let since) where now - since >= self.limits.headerTimeout:
            return self.closeNow(abort: false)
        case .closing(let since) where now - since >= self.limits.writeTimeout:
            // The last answer is not taken: discard it rather than leave it to the kernel.
            return self.closeNow(abort: true)
        case .lingering(let since, let lastInput, _) where now - since >= self.limits.lingerTime || now - lastInput >= self.limits.lingerTimeout:
            return self.closeNow(abort: false)
        case .closing, .lingering, .closed:
            return .none
        case .opened, .idle, .receivingHead, .receiving, .awaitingKeys, .probing, .reading, .waiting:
            break
        }
        guard let sample else { return .none }
        guard sample.pendingBytes > 0 else {
            self.output = .drained(checkedAt: now)
            return .none
        }
        switch self.output {
        case .drained:
            // The waiting output was written at the last write at the latest.
            self.output = .pending(since: self.lastWrite, delivered: sample.deliveredBytes)
        case .pending(_, let delivered) where sample.deliveredBytes > delivered:
            // The peer reads, however slowly: the clock starts again.
            self.output = .pending(since: now, delivered: sample.deliveredBytes)
        case .pending(let since, _) where now - since >= self.limits.writeTimeout:
            // The peer took nothing in that time: it does not read.
            return self.closeNow(abort: true)
        case .pending:
            break
        }
        return .none
    }
}
