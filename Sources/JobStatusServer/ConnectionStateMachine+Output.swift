import NIOCore

/// Flow control and the connection's clocks: writability, the drain marker, and the coarse tick
/// that enforces `http.idle_timeout`, `http.header_timeout` and `http.write_timeout`.
extension ConnectionStateMachine {
    /// NIO reported a writability change. Becoming writable lets `pump` start queued requests and
    /// read again; becoming unwritable means output is waiting, so the write clock starts.
    mutating func writabilityChanged(isWritable: Bool) -> Action {
        self.isWritable = isWritable
        guard !isWritable else { return .none }
        return self.outputIsPending()
    }

    /// The drain marker completed: everything written before it has left the process.
    mutating func drainMarkerWritten() {
        if case .pending = self.output {
            self.output = .drained
        }
    }

    /// The coarse per-connection check. `bufferedBytes` is what the channel still holds unsent.
    mutating func tick(now: NIODeadline, bufferedBytes: Int) -> Action {
        switch self.state {
        case .idle(let since) where now - since >= self.limits.idleTimeout:
            return self.closeNow(abort: false)
        case .receivingHead(let since) where now - since >= self.limits.headerTimeout,
            .receiving(_, let since) where now - since >= self.limits.headerTimeout:
            return self.closeNow(abort: false)
        case .closing(let since) where now - since >= self.limits.writeTimeout:
            // The last answer is not taken: discard it rather than leave it to the kernel.
            return self.closeNow(abort: true)
        case .closing, .closed:
            return .none
        case .idle, .receivingHead, .receiving, .probing, .reading, .waiting:
            break
        }
        switch self.output {
        case .drained where bufferedBytes > 0:
            return self.outputIsPending()
        case .pending(let since) where now - since >= self.limits.writeTimeout:
            // Nothing written in that time has left: the peer does not read.
            return self.closeNow(abort: true)
        case .drained, .pending:
            return .none
        }
    }

    /// Output is waiting for the peer: start the write clock (from the last write, the latest
    /// moment the waiting output can date from) and learn when it drains.
    private mutating func outputIsPending() -> Action {
        guard case .drained = self.output else { return .none }
        self.output = .pending(since: self.lastWrite)
        return .placeDrainMarker
    }
}
