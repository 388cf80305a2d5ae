import Foundation
public import JobStatusConfiguration

/// Checks bearer tokens against the tokens file.
///
/// The file holds SHA-256 digests, never tokens:
/// `{"tokens": [{"client_id": "mis-1", "sha256": "<64 lowercase hex digits>", "scopes": ["job:read"]}]}`.
/// A request's token is hashed and looked up by digest; the match is confirmed with a
/// constant-time comparison. Tokens never reach a log or an error message.
public final class TokenAuthenticator: Sendable {
    /// The scope a caller needs to read jobs.
    public static let jobReadScope = "job:read"

    struct Client: Sendable {
        let clientID: String
        let canReadJobs: Bool
    }

    private let clients: [TokenDigest: Client]

    /// The number of tokens loaded.
    public var count: Int { self.clients.count }

    /// Loads and validates a tokens file; every problem names the file and the entry.
    public convenience init(contentsOfFile path: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read the tokens file \(path) (auth.tokens_file)")
        }
        try self.init(json: Array(data), source: path)
    }

    public init(json: [UInt8], source: String) throws(ConfigurationError) {
        struct File: Decodable {
            struct Entry: Decodable {
                let client_id: String
                let sha256: String
                let scopes: [String]
            }
            let tokens: [Entry]
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(json))
        } catch {
            throw ConfigurationError(
                "the tokens file \(source) is not of the form {\"tokens\": [{\"client_id\", \"sha256\", \"scopes\"}]}: \(error)"
            )
        }
        var clients: [TokenDigest: Client] = [:]
        for (index, entry) in file.tokens.enumerated() {
            guard !entry.client_id.isEmpty else {
                throw ConfigurationError("tokens file \(source), entry \(index): client_id is empty")
            }
            guard let digest = TokenDigest(hex: entry.sha256) else {
                throw ConfigurationError(
                    "tokens file \(source), entry \(index) (\(entry.client_id)): sha256 must be 64 lowercase hex digits"
                )
            }
            guard clients[digest] == nil else {
                throw ConfigurationError("tokens file \(source), entry \(index) (\(entry.client_id)): the same token appears twice")
            }
            clients[digest] = Client(clientID: entry.client_id, canReadJobs: entry.scopes.contains(Self.jobReadScope))
        }
        self.clients = clients
    }

    /// Decides who sent `authorization` (the raw `Authorization` header value, if any).
    func authenticate(_ authorization: String?) -> AuthorizationDecision {
        guard let authorization, var token = BearerToken.extract(authorization) else { return .denied(.missingBearerToken) }
        let digest = token.withUTF8 { TokenDigest(hashing: UnsafeRawBufferPointer($0)) }
        guard let client = self.clients[digest] else {
            return .denied(.invalidToken)
        }
        return client.canReadJobs ? .allowed(clientID: client.clientID) : .denied(.missingScope)
    }
}

/// The outcome of checking a request's credentials.
enum AuthorizationDecision: Equatable {
    /// The caller may read jobs; `clientID` is nil when authorization is disabled.
    case allowed(clientID: String?)
    case denied(AuthorizationFailure)
}

/// Why a request was refused, with the live system's error texts.
enum AuthorizationFailure: Equatable {
    case missingBearerToken
    case invalidToken
    case missingScope
    /// `auth.mode: gateway`: no consumer id, or not the pre-shared key.
    case missingGatewayCredentials
}
