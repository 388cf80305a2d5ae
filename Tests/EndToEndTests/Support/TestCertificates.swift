import Foundation
import RedisWire

/// The certificates `scripts/testing/make_test_certificates.sh` makes with openssl, once per test
/// process, in a temporary directory: a CA, server certificates for localhost / 127.0.0.1 (valid,
/// expired, not yet valid, from another CA, a second one for rotation) and a client certificate.
final class TestCertificates: Sendable {
    static let shared = TestCertificates()

    let directory: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../scripts/testing/make_test_certificates.sh").standardized.path

    private init() {
        self.directory = makeTemporaryDirectory("certificates")
        let made = try? runProcessBlocking("/bin/sh", [Self.script, self.directory], environment: [:])
        precondition(made?.status == 0, "make_test_certificates.sh failed: \(String(describing: made))")
    }

    func path(_ file: String) -> String { "\(self.directory)/\(file)" }

    var ca: String { self.path("ca.crt") }

    /// `redis-server` arguments for TLS only (`--port 0`) on `port`, presenting `certificate`
    /// (`server`, `expired`, `future`, `other`, `server-2`, or a path without its extension).
    func serverArguments(port: Int, certificate: String = "server", authClients: Bool = false, cluster: Bool = false) -> [String] {
        let base = certificate.hasPrefix("/") ? certificate : self.path(certificate)
        var arguments = [
            "--port", "0", "--tls-port", "\(port)",
            "--tls-cert-file", "\(base).crt", "--tls-key-file", "\(base).key", "--tls-ca-cert-file", self.ca,
            "--tls-auth-clients", authClients ? "yes" : "no",
        ]
        if cluster {
            arguments += ["--tls-cluster", "yes", "--tls-replication", "yes"]
        }
        return arguments
    }

    /// What the tests' own clients use: this CA, the client certificate, the chain checked only
    /// (a test server may present any of the certificates above).
    var adminTLS: RedisTLSConfiguration {
        RedisTLSConfiguration(
            caFile: self.ca,
            certificateFile: self.path("client.crt"),
            keyFile: self.path("client.key"),
            verification: .none
        )
    }

    /// `redis-cli` arguments for the same.
    var cliArguments: [String] {
        ["--tls", "--cacert", self.ca, "--cert", self.path("client.crt"), "--key", self.path("client.key"), "--insecure"]
    }

    /// The front's environment for a `rediss://` URL trusting this CA.
    func frontEnvironment(clientCertificate: Bool = false, verify: String = "full") -> [String: String] {
        var environment = ["REDIS_TLS_CA_FILE": self.ca, "REDIS_TLS_VERIFY": verify]
        if clientCertificate {
            environment["REDIS_TLS_CERT_FILE"] = self.path("client.crt")
            environment["REDIS_TLS_KEY_FILE"] = self.path("client.key")
        }
        return environment
    }
}
