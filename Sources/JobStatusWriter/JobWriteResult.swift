/// What a successful write did.
public struct JobWriteResult: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case created
        case updated
        /// An identical terminal write was repeated: nothing changed.
        case unchanged
    }

    public let id: String
    /// The record's version after the call (it grows by one per change).
    public let version: Int64
    public let outcome: Outcome

    public init(id: String, version: Int64, outcome: Outcome) {
        self.id = id
        self.version = version
        self.outcome = outcome
    }
}
