import Foundation
import JobStatusConfiguration
import Testing

@testable import JobStatusServer

@Suite("Bearer tokens")
struct TokenAuthenticatorTests {
    // sha256("secret-1"), sha256("secret-2")
    private let file = """
        {"tokens": [
          {"client_id": "mis-1", "sha256": "f7e7c36e458e80e6b6a2c67d0a9ec09bd718dadd7bfa8d6bf6e7ad526e46c2f7", "scopes": ["job:read", "x"]},
          {"client_id": "mis-2", "sha256": "f4b6bb6548129dacf11c1a9c4dffffefd4aa6b21fcf4e9754cc03b731cbe7c25", "scopes": ["patient:read"]}
        ]}
        """

    private func authenticator() throws -> TokenAuthenticator {
        try TokenAuthenticator(json: Array(self.file.utf8), source: "test")
    }

    @Test("a known token with job:read identifies its client")
    func allowed() throws {
        let auth = try self.authenticator()
        #expect(auth.authenticate("Bearer secret-1").decision == .allowed(clientID: "mis-1"))
        #expect(auth.authenticate("bearer   secret-1 ").decision == .allowed(clientID: "mis-1"))
    }

    @Test("a known token without job:read is refused with 403's reason")
    func missingScope() throws {
        #expect(try self.authenticator().authenticate("Bearer secret-2").decision == .denied(.missingScope))
    }

    @Test("unknown tokens", arguments: ["Bearer secret-3", "Bearer secret-1x", "Bearer Secret-1"])
    func invalid(header: String) throws {
        #expect(try self.authenticator().authenticate(header).decision == .denied(.invalidToken))
    }

    @Test("no header, or not a bearer token", arguments: [nil, "", "Bearer", "Bearer ", "Basic c2VjcmV0LTE=", "Bearersecret-1", "secret-1"])
    func missing(header: String?) throws {
        #expect(try self.authenticator().authenticate(header).decision == .denied(.missingBearerToken))
    }

    @Test(
        "files that cannot be used are refused with the entry named",
        arguments: [
            "{}", "not json", #"{"tokens": [{"client_id": "a", "sha256": "ABC", "scopes": []}]}"#,
            #"{"tokens": [{"client_id": "", "sha256": "f7e7c36e458e80e6b6a2c67d0a9ec09bd718dadd7bfa8d6bf6e7ad526e46c2f7", "scopes": []}]}"#,
            #"{"tokens": [{"client_id": "a", "sha256": "F7E7C36E458E80E6B6A2C67D0A9EC09BD718DADD7BFA8D6BF6E7AD526E46C2F7", "scopes": []}]}"#,
            #"{"tokens": [{"client_id": "a", "sha256": "f7e7c36e458e80e6b6a2c67d0a9ec09bd718dadd7bfa8d6bf6e7ad526e46c2f7", "scopes": []}, {"client_id": "b", "sha256": "f7e7c36e458e80e6b6a2c67d0a9ec09bd718dadd7bfa8d6bf6e7ad526e46c2f7", "scopes": []}]}"#,
        ]
    )
    func badFiles(json: String) {
        #expect(throws: ConfigurationError.self) {
            try TokenAuthenticator(json: Array(json.utf8), source: "test")
        }
    }

    @Test("reload: a changed file's tokens are in use at once, with a new generation; a broken or missing file changes nothing")
    func reload() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UInt64.random(in: 0...UInt64.max)).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try self.file.write(toFile: path, atomically: true, encoding: .utf8)
        let auth = try TokenAuthenticator(contentsOfFile: path)
        let first = auth.generation
        #expect(auth.authenticate("Bearer secret-1").decision == .allowed(clientID: "mis-1"))

        // sha256("secret-3") for mis-3; secret-1 removed.
        let rotated = #"{"tokens": [{"client_id": "mis-3", "sha256": "2c7d3470d617514ede9f8b07e2912811351e6efe42cdc07b661a790b6659d486", "scopes": ["job:read"]}]}"#
        try rotated.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try auth.reload() == 1)
        #expect(auth.generation != first)
        #expect(auth.authenticate("Bearer secret-1").decision == .denied(.invalidToken), "a removed token")
        #expect(auth.authenticate("Bearer secret-3").decision == .allowed(clientID: "mis-3"), "an added one")

        let rotatedGeneration = auth.generation
        for broken in ["{", #"{"tokens": [{"client_id": "", "sha256": "x", "scopes": []}]}"#] {
            try broken.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: ConfigurationError.self) { try auth.reload() }
        }
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: ConfigurationError.self) { try auth.reload() }
        #expect(auth.generation == rotatedGeneration, "nothing replaced")
        #expect(auth.count == 1)
    }

    @Test("a missing file is a configuration error")
    func missingFile() {
        #expect(throws: ConfigurationError.self) {
            try TokenAuthenticator(contentsOfFile: "/nonexistent/tokens.json")
        }
    }
}
