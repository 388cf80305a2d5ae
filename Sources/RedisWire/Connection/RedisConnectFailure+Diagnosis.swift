import Glibc
import NIOCore
import NIOPosix
import NIOSSL

extension RedisConnectFailure {
    /// Reads what an attempt ran into: the pipeline's first error when there was one (the TLS
    /// handler's, rather than the "connection lost" the login commands saw after it).
    static func diagnosing(
        _ error: any Error,
        url: RedisURL,
        tls: RedisTLSConfiguration?,
        loggingIn: Bool,
        evidence: PipelineEvidence = PipelineEvidence()
    ) -> Self {
        let error = evidence.firstError ?? error
        let text = String(describing: error)
        guard let tls else {
            // A TLS server resets a connection whose first bytes are not a ClientHello.
            let closed = (error as? RedisError).map { $0 == .connectionLost || $0.isProtocolViolation } ?? (error is IOError)
            if loggingIn && closed {
                return Self(
                    "\(url) closed the connection or answered with bytes that are not RESP before its first reply (\(error)): "
                        + "if the server speaks TLS (a managed Redis, or its tls-port), use rediss://"
                )
            }
            return Self.plain(error)
        }
        if loggingIn && !evidence.tlsHandshakeCompleted, let redisError = error as? RedisError, redisError == .timeout {
            // A plaintext Redis takes a ClientHello for the start of an inline command and waits.
            return Self(
                "\(url) did not answer the TLS handshake within redis.timeout: if the server speaks plaintext, use redis://"
            )
        }
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            let name = tls.serverHostname(for: url) ?? url.host
            return Self(
                "the certificate of \(url) does not name \(name) (redis.tls.verify is full): set redis.tls.server_name "
                    + "to a name the certificate lists, or redis.tls.verify to ca to check the chain only"
            )
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return Self.rejected(evidence.peerCertificate, url: url, tls: tls)
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST") || text.contains("RECORD_TOO_LARGE")
            || text.contains("UNKNOWN_PROTOCOL") || text.contains("PACKET_LENGTH_TOO_LONG")
        {
            return Self(
                "\(url) does not speak TLS (its answer to the TLS handshake is plaintext): use redis://, or the server's tls-port"
            )
        }
        if text.contains("CERTIFICATE_REQUIRED") || (tls.certificateFile == nil && text.contains("HANDSHAKE_FAILURE")) {
            return Self(
                "\(url) requires a client certificate (tls-auth-clients): set redis.tls.cert_file and redis.tls.key_file"
            )
        }
        if let certificateFile = tls.certificateFile,
            text.contains("UNKNOWN_CA") || text.contains("BAD_CERTIFICATE") || text.contains("HANDSHAKE_FAILURE")
                || text.contains("CERTIFICATE_UNKNOWN") || text.contains("DECRYPT_ERROR")
        {
            return Self(
                "\(url) refused the client certificate redis.tls.cert_file \(certificateFile): "
                    + "it is not issued by a CA in the server's tls-ca-cert-file, or it has expired"
            )
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return Self("the TLS handshake with \(url) failed: \(text)")
        }
        if loggingIn, let redisError = error as? RedisError, redisError == .connectionLost {
            return Self("\(url) closed the connection during the TLS handshake")
        }
        return Self.plain(error)
    }

    /// The diagnosis of a rejected certificate, from the one the server presented.
    static func rejected(
        _ leaf: NIOSSLCertificate?,
        url: RedisURL,
        tls: RedisTLSConfiguration,
        now: time_t = time(nil)
    ) -> Self {
        guard let leaf else {
            return Self("\(url) presented no certificate")
        }
        let shown = "\(leaf)"
        if leaf.notValidAfter < now {
            return Self("the certificate of \(url) expired on \(Self.date(leaf.notValidAfter)) \(shown)")
        }
        if leaf.notValidBefore > now {
            return Self(
                "the certificate of \(url) is not valid before \(Self.date(leaf.notValidBefore)) \(shown): is this machine's clock right?"
            )
        }
        let trusted = tls.caFile.map { "a CA in redis.tls.ca_file \($0)" } ?? "a CA of the system's trust store (set redis.tls.ca_file)"
        return Self("the certificate of \(url) is not issued by \(trusted) \(shown)")
    }

    private static func plain(_ error: any Error) -> Self {
        if let failure = error as? RedisConnectFailure { return failure }
        if let redisError = error as? RedisError, let code = redisError.serverError?.code, [.wrongPass, .noAuth, .noPerm].contains(code) {
            return Self("Redis refused the login (check redis.username, redis.password or redis.password_file): \(redisError)")
        }
        if let redisError = error as? RedisError, case .unavailable(let reason) = redisError {
            return Self(reason)
        }
        // NIO's own text names every address tried, wrapped twice; the cause is the errno.
        if let connectError = error as? NIOConnectionError, let cause = connectError.connectionErrors.first?.error as? IOError {
            return Self("cannot connect to \(connectError.host):\(connectError.port): \(String(cString: strerror(cause.errnoCode)))")
        }
        return Self("\(error)")
    }

    private static func date(_ time: time_t) -> String {
        var seconds = time
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
