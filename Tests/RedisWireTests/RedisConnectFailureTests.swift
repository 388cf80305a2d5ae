import Foundation
import NIOCore
import NIOSSL
import Testing

@testable import RedisWire

/// What an attempt's first error says to an operator. The real handshakes behind each case run
/// in `EndToEndTests.TLSTests`; here each reading is pinned to the setting it names.
@Suite("Connect failures name their cause")
struct RedisConnectFailureTests {
    static let plain = RedisURL(host: "10.0.0.5", port: 6379)
    static let tls = RedisURL(host: "cache.internal", port: 6380, tls: true)

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let error: any Error & Sendable
        let url: RedisURL
        let tls: RedisTLSConfiguration?
        let loggingIn: Bool
        let handshakeDone: Bool
        /// Words the message must contain.
        let mentions: [String]
        var testDescription: String { self.name }
    }

    static let cases: [Case] = [
        Case(
            name: "a TLS server behind redis:// resets the connection", error: IOError(errnoCode: ECONNRESET, reason: "read"),
            url: plain, tls: nil, loggingIn: true, handshakeDone: false, mentions: ["use rediss://"]
        ),
        Case(
            name: "a TLS server behind redis:// closes the connection", error: RedisError.connectionLost,
            url: plain, tls: nil, loggingIn: true, handshakeDone: false, mentions: ["use rediss://"]
        ),
        Case(
            name: "a refused TCP connection is only that", error: IOError(errnoCode: ECONNREFUSED, reason: "connect"),
            url: plain, tls: nil, loggingIn: false, handshakeDone: false, mentions: ["refused"]
        ),
        Case(
            name: "a plaintext server behind rediss:// never answers the handshake", error: RedisError.timeout,
            url: tls, tls: RedisTLSConfiguration(), loggingIn: true, handshakeDone: false, mentions: ["TLS handshake", "use redis://"]
        ),
        Case(
            name: "a stalled TLS server after the handshake is a timeout", error: RedisError.timeout,
            url: tls, tls: RedisTLSConfiguration(), loggingIn: true, handshakeDone: true, mentions: ["timeout"]
        ),
        Case(
            name: "a name mismatch names the setting", error: NIOSSLExtraError.failedToValidateHostname,
            url: tls, tls: RedisTLSConfiguration(), loggingIn: true, handshakeDone: false,
            mentions: ["does not name cache.internal", "redis.tls.server_name", "redis.tls.verify"]
        ),
        Case(
            name: "a wrong password names the password settings", error: RedisError.server(RedisErrorReply("WRONGPASS invalid username-password pair")),
            url: plain, tls: nil, loggingIn: true, handshakeDone: false,
            mentions: ["WRONGPASS", "redis.password_file"]
        ),
    ]

    @Test("each error reads as its cause", arguments: cases)
    func diagnosis(_ testCase: Case) {
        let failure = RedisConnectFailure.diagnosing(
            testCase.error,
            url: testCase.url,
            tls: testCase.tls,
            loggingIn: testCase.loggingIn,
            evidence: PipelineEvidence(tlsHandshakeCompleted: testCase.handshakeDone)
        )
        for word in testCase.mentions {
            #expect(failure.description.contains(word), "\(failure.description) does not mention \(word)")
        }
    }

    @Test("a password file loses its trailing newline; a missing or empty one names the setting and the file, never the contents")
    func passwordFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secret-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "s3cr3t pass\n".write(toFile: "\(directory)/password", atomically: true, encoding: .utf8)
        #expect(try SecretFile.read("\(directory)/password", setting: "redis.password_file") == "s3cr3t pass")
        try "\r\n".write(toFile: "\(directory)/empty", atomically: true, encoding: .utf8)
        #expect(throws: RedisConnectFailure("redis.password_file \(directory)/empty is empty")) {
            try SecretFile.read("\(directory)/empty", setting: "redis.password_file")
        }
        #expect(throws: RedisConnectFailure("cannot read redis.password_file \(directory)/missing: No such file or directory")) {
            try SecretFile.read("\(directory)/missing", setting: "redis.password_file")
        }
        // A file that is not a password (a mounted log, /dev/zero) is refused at the bound, not read whole.
        let started = ContinuousClock.now
        #expect(throws: RedisConnectFailure("redis.password_file /dev/zero is larger than \(SecretFile.maximumSize) bytes")) {
            try SecretFile.read("/dev/zero", setting: "redis.password_file")
        }
        print("password file bound: /dev/zero refused after \(SecretFile.maximumSize + 4096) bytes at most, in \(ContinuousClock.now - started)")
    }
}
