import NIOCore
import NIOPosix
import NIOSSL

/// The certificate chain a TLS server presents, fetched by one more handshake.
///
/// BoringSSL reports a rejected chain as `CERTIFICATE_VERIFY_FAILED` without saying whether it
/// expired, is not yet valid or comes from another CA; an operator needs to know which. After such
/// a failure the connection shakes hands once more with a verifier that records the chain and
/// refuses it, so nothing is ever sent over it.
enum PresentedCertificates {
    static func fetch(
        from url: RedisURL,
        context: NIOSSLContext,
        serverHostname: String?,
        timeout: TimeAmount,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<[NIOSSLCertificate]> {
        let chain = eventLoop.makePromise(of: [NIOSSLCertificate].self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname) { presented, verdict in
                        chain.succeed(presented)
                        verdict.succeed(NIOSSLVerificationResult.failed)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        bootstrap.connect(host: url.host, port: url.port).whenComplete { result in
            switch result {
            case .success(let channel):
                // A server that closes before presenting anything leaves the chain empty.
                channel.closeFuture.whenComplete { _ in chain.succeed([]) }
                channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
            case .failure:
                chain.succeed([])
            }
        }
        return chain.futureResult
    }
}
