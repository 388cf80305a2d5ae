import Foundation
public import JobStatusConfiguration

/// Checks bearer tokens against the tokens file.
///
/// The file holds SHA-256 digests, never tokens:
/// `{"tokens": [{"client_id": "mis-1", "sha256": "<64 lowercase hex digits>", "scopes": ["job:read"]}]}`.
/// A request's token is hashed and looked up by digest; the match is confirmed with a
/// constant-time comparison. Tokens never reach a log or an error message. The file is read again
/// when it changes (`CredentialReloader`): a valid new file replaces the set at once, an invalid one
/// leaves the set in use.
public final class TokenAuthenticator: Sendable {
    /// The scope a caller needs to read jobs.
    public static let jobReadScope = "job:read"

    /// Where the tokens come from (the file's path), for logs and errors.
    public let source: String
    private let tokens: ReloadableCredentials<TokenSet>

    /// The number of tokens in use.
    public var count: Int { self.tokens.read().value.clients.count }

    /// Loads and validates a tokens file; every problem names the file and the entry.
    public convenience init(contentsOfFile path: String) throws(ConfigurationError) {
        try self.init(TokenSet(contentsOfFile: path), source: path)
    }

    public convenience init(json: [UInt8], source: String) throws(ConfigurationError) {
        try self.init(TokenSet(json: json, source: source), source: source)
    }

    private init(_ tokens: TokenSet, source: String) {
        self.tokens = ReloadableCredentials(tokens)
        self.source = source
    }

    /// Reads the file again and puts its tokens in use; a file that cannot be read or is invalid
    /// changes nothing and throws why. Returns the number of tokens now in use.
    @discardableResult
    public func reload() throws(ConfigurationError) -> Int {
        let tokens = try TokenSet(contentsOfFile: self.source)
        self.tokens.replace(with: tokens)
        return tokens.clients.count
    }

    /// The generation of the tokens in use (a decision made with an older one is stale).
    var generation: UInt64 { self.tokens.generation }

    /// Decides who sent `authorization` (the raw `Authorization` header value, if any), and with
    /// which generation of the tokens.
    func authenticate(_ authorization: String?) -> (decision: AuthorizationDecision, generation: UInt64) {
        let (tokens, generation) = self.tokens.read()
        return (tokens.authenticate(authorization), generation)
    }
}

/// One tokens file, parsed: clients by the digest of their token.
struct TokenSet: Sendable {
    struct Client: Sendable {
        let clientID: String
        let canReadJobs: Bool
    }

    let clients: [TokenDigest: Client]

    init(contentsOfFile path: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read the tokens file \(path) (auth.tokens_file)")
        }
        try self.init(json: Array(data), source: path)
    }

    init(json: [UInt8], source: String) throws(ConfigurationError) {
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
            clients[digest] = Client(clientID: entry.client_id, canReadJobs: entry.scopes.contains(TokenAuthenticator.jobReadScope))
        }
        self.clients = clients
    }

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
    /// The token names a key that a fetch of `auth.jwt.jwks_url` may bring: decided after it.
    case unknownKey
}

/// Why a request was refused, with the live system's error texts.
enum AuthorizationFailure: Equatable {
    case missingBearerToken
    case invalidToken
    case missingScope
    /// `auth.mode: gateway`: no consumer id, or not the pre-shared key.
    case missingGatewayCredentials
    /// `auth.mode: jwt` with `auth.jwt.jwks_url`: no key was ever fetched, so no token can be
    /// judged (503, retried, rather than a 401 the caller would take for a bad token).
    case keysUnavailable
}
