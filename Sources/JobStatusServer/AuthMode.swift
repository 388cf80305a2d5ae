/// How the front decides who is calling.
public enum AuthMode: String, Sendable, CaseIterable {
    /// Bearer tokens checked against the tokens file (SHA-256 digests, never the tokens).
    case tokens
    /// No authorization and no ownership checks: for local development only.
    case none
}
