/// The states of a job and the transitions between them.
///
/// The write script enforces the same rules inside Redis; this type states them for Swift code
/// (the writer's error messages, tests, documentation).
public enum JobStatus: String, Sendable, CaseIterable {
    case pending
    case processed
    case failed
    case failedWithError = "failed_with_error"

    /// A terminal state never changes again; its record only expires.
    public var isTerminal: Bool { self != .pending }

    /// Whether a record in state `self` may be rewritten to `next` (repeating an identical
    /// terminal write is a separate, no-op case decided by comparing the payloads).
    public func allowsTransition(to next: JobStatus) -> Bool {
        self == .pending
    }

    /// Recognises a stored status without creating a `String`.
    public init?(bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 7 where bytes.equals("pending"): self = .pending
        case 9 where bytes.equals("processed"): self = .processed
        case 6 where bytes.equals("failed"): self = .failed
        case 17 where bytes.equals("failed_with_error"): self = .failedWithError
        default: return nil
        }
    }
}
