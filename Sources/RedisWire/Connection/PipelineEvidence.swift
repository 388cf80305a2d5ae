import NIOSSL

/// What a connection's pipeline saw of a failed attempt, kept for its diagnosis: the login
/// commands only learn that the connection was lost.
struct PipelineEvidence {
    /// The first error the pipeline reported (a TLS handshake's, typically).
    var firstError: (any Error)?
    /// Whether the TLS handshake finished: a login that times out before it talked to
    /// something that does not speak TLS.
    var tlsHandshakeCompleted = false
    /// The server's certificate as the TLS handler held it when it failed. BoringSSL reports a
    /// rejected certificate as `CERTIFICATE_VERIFY_FAILED` without saying whether it expired, is
    /// not yet valid or comes from another CA; the certificate itself tells.
    var peerCertificate: NIOSSLCertificate?
}
