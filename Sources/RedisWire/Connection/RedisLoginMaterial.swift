import NIOSSL

/// What one connection attempt uses to get in: read from disk for that attempt alone.
struct RedisLoginMaterial: Sendable {
    /// nil: plaintext.
    var tlsContext: NIOSSLContext?
    var password: String?
}
