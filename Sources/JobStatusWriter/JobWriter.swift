import Crypto
import JobStatusCore
public import Logging
public import NIOCore
public import NIOPosix
public import RedisWire

/// The worker side: creates jobs and records their progress and outcome.
///
/// Every write is one call of the atomic write script (`EVALSHA`, falling back to `EVAL` when
/// Redis does not have the script cached yet), which checks the transition, writes the fields,
/// bumps the version, sets the TTL and publishes the change. A failed call changed nothing.
public final class JobWriter: Sendable {
    public let configuration: JobWriterConfiguration
    private let client: RedisClient

    private static let scriptSHA1: String = Insecure.SHA1.hash(data: Array(WriteScript.source.utf8))
        .map { byte in
            let hex = Array("0123456789abcdef".utf8)
            return String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
        }
        .joined()

    public init(client: RedisClient, configuration: JobWriterConfiguration = .init()) {
        self.client = client
        self.configuration = configuration
    }

    /// Connects to a Redis server; throws `JobWriteError.redisUnavailable` when it cannot.
    /// A `rediss://` URL verifies the server against the system's trust store; for a private CA,
    /// a client certificate or a password file, pass a deployment whose
    /// `RedisConnectionConfiguration` carries its `tls` and `passwordFile`.
    public static func connect(
        url: RedisURL,
        configuration: JobWriterConfiguration = .init(),
        commandTimeout: Duration = .seconds(5),
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
        logger: Logger = Logger(label: "jobstatus.writer")
    ) async throws(JobWriteError) -> JobWriter {
        let connection = RedisConnectionConfiguration(url: url, commandTimeout: TimeAmount(commandTimeout))
        return try await self.connect(deployment: .standalone(connection), configuration: configuration, eventLoop: eventLoop, logger: logger)
    }

    /// Connects to a Redis server or a Redis Cluster; throws `JobWriteError.redisUnavailable`
    /// when it cannot.
    public static func connect(
        deployment: RedisDeployment,
        configuration: JobWriterConfiguration = .init(),
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(),
        logger: Logger = Logger(label: "jobstatus.writer")
    ) async throws(JobWriteError) -> JobWriter {
        do {
            let client = try await RedisClient.connect(deployment: deployment, on: eventLoop, logger: logger)
            return JobWriter(client: client, configuration: configuration)
        } catch RedisError.unavailable(let reason) {
            throw .redisUnavailable("cannot connect to \(deployment.description): \(reason)")
        } catch {
            throw .redisUnavailable("cannot connect to \(deployment.description): \(error)")
        }
    }

    /// Closes the connection.
    public func close() async {
        await self.client.shutdown()
    }

    /// Creates a pending job and returns its id (generated when `id` is nil).
    public func create(
        id: String? = nil,
        owner: String? = nil,
        eta: JobETA? = nil,
        ttl: Duration? = nil
    ) async throws(JobWriteError) -> JobWriteResult {
        var arguments = ["eta", (eta ?? .after(self.configuration.defaultETA)).timestamp()]
        if let owner { arguments += ["owner", owner] }
        arguments += ["ttl", try Self.ttlArgument(ttl ?? self.configuration.pendingTTL)]
        return try await self.run(.create, id: id ?? JobID.generate(), arguments: arguments)
    }

    /// Refreshes a pending job's TTL, and its eta when given.
    public func progress(id: String, eta: JobETA? = nil, ttl: Duration? = nil) async throws(JobWriteError) -> JobWriteResult {
        var arguments: [String] = []
        if let eta { arguments += ["eta", eta.timestamp()] }
        arguments += ["ttl", try Self.ttlArgument(ttl ?? self.configuration.pendingTTL)]
        return try await self.run(.progress, id: id, arguments: arguments)
    }

    /// Completes a job that produced resources (polls answer 303 with these links).
    public func processed(id: String, links: [JobLink], ttl: Duration? = nil) async throws(JobWriteError) -> JobWriteResult {
        guard !links.isEmpty else { throw .invalidArgument("a processed job needs at least one link") }
        var json = ByteBuffer()
        json.writeStaticString("[")
        for (index, link) in links.enumerated() {
            if index > 0 { json.writeStaticString(",") }
            json.writeStaticString(#"{"entity":"#)
            json.writeJSONString(link.entity)
            json.writeStaticString(#","href":"#)
            json.writeJSONString(link.href)
            json.writeStaticString("}")
        }
        json.writeStaticString("]")
        let arguments = ["links", String(buffer: json), "ttl", try Self.ttlArgument(ttl ?? self.configuration.terminalTTL)]
        return try await self.run(.processed, id: id, arguments: arguments)
    }

    /// Completes a job with an inline result (polls answer 200 with `response_data`).
    /// `responseData` is JSON text, stored verbatim.
    public func processed(
        id: String,
        responseData: String,
        statusCode: Int = 200,
        ttl: Duration? = nil
    ) async throws(JobWriteError) -> JobWriteResult {
        guard JSONScanner.validate(responseData) != nil else {
            throw .invalidArgument("response_data must be valid JSON")
        }
        let arguments = [
            "response_data", responseData, "status_code", String(statusCode),
            "ttl", try Self.ttlArgument(ttl ?? self.configuration.terminalTTL),
        ]
        return try await self.run(.processed, id: id, arguments: arguments)
    }

    /// Fails a job with an expected error (403, 404, 409, 422, …).
    public func failed(
        id: String,
        statusCode: Int,
        error: JobFailure,
        ttl: Duration? = nil
    ) async throws(JobWriteError) -> JobWriteResult {
        let errorJSON: String
        switch error {
        case .message(let text):
            var buffer = ByteBuffer()
            buffer.writeJSONString(text)
            errorJSON = String(buffer: buffer)
        case .json(let text):
            errorJSON = text
        }
        let arguments = [
            "status_code", String(statusCode), "error", errorJSON,
            "ttl", try Self.ttlArgument(ttl ?? self.configuration.terminalTTL),
        ]
        return try await self.run(.failed, id: id, arguments: arguments)
    }

    /// Fails a job with a system error: status_code 500, `{type: internal_error, message}`.
    public func failedWithError(id: String, message: String, ttl: Duration? = nil) async throws(JobWriteError) -> JobWriteResult {
        let arguments = ["message", message, "ttl", try Self.ttlArgument(ttl ?? self.configuration.terminalTTL)]
        return try await self.run(.failedWithError, id: id, arguments: arguments)
    }

    /// The stored record, or nil when the job does not exist.
    public func get(id: String) async throws(JobWriteError) -> JobRecord? {
        let key = try self.key(for: id)
        do {
            async let all = self.client.send(["HGETALL", key], key: key)
            async let ttl = self.client.send(["PTTL", key], key: key)
            let (fieldsReply, ttlReply) = try await (all, ttl)
            guard let fields = fieldsReply.fields else {
                throw JobWriteError.unexpectedReply("HGETALL answered \(fieldsReply)")
            }
            guard !fields.isEmpty else { return nil }
            let milliseconds = ttlReply.integer ?? -1
            let ttlSeconds = milliseconds >= 0 ? (milliseconds + 999) / 1000 : nil
            return JobRecord(id: id, fields: fields, ttlSeconds: ttlSeconds)
        } catch let error as JobWriteError {
            throw error
        } catch {
            throw Self.writeError(error)
        }
    }

    private func key(for id: String) throws(JobWriteError) -> String {
        guard JobID.isValid(id) else {
            throw .invalidArgument("job id \"\(id)\" must be 1 to 64 characters of A-Z, a-z, 0-9, _ and -")
        }
        return self.configuration.keyPrefix + id
    }

    private static func ttlArgument(_ ttl: Duration) throws(JobWriteError) -> String {
        let seconds = ttl.wholeSecondsRoundedUp
        guard seconds >= 1, seconds <= WriteScript.maximumTTLSeconds else {
            throw .invalidArgument("a TTL must be from 1 second to \(WriteScript.maximumTTLSeconds) seconds (ten years)")
        }
        return String(seconds)
    }

    private func run(
        _ operation: WriteScript.Operation,
        id: String,
        arguments: [String]
    ) async throws(JobWriteError) -> JobWriteResult {
        let key = try self.key(for: id)
        let scriptArguments = ["1", key, operation.rawValue] + arguments
        let reply: RESPValue
        do {
            do {
                reply = try await self.client.send(["EVALSHA", Self.scriptSHA1] + scriptArguments, key: key)
            } catch let error as RedisError where error.serverError?.code == .noScript {
                reply = try await self.client.send(["EVAL", WriteScript.source] + scriptArguments, key: key)
            }
        } catch {
            throw Self.writeError(error)
        }
        guard let elements = reply.array, elements.count == 2, let version = elements[0].integer,
            let outcome = elements[1].string.flatMap(JobWriteResult.Outcome.init(rawValue:))
        else {
            throw .unexpectedReply("the write script answered \(reply)")
        }
        if case .replicated(let timeout) = self.configuration.durability {
            try await self.waitForReplica(key: key, timeout: timeout)
        }
        return JobWriteResult(id: id, version: version, outcome: outcome)
    }

    /// `WAIT 1 <ms>` on the connection that carried the write (routed by the same key): the write
    /// counts only once a replica has it.
    private func waitForReplica(key: String, timeout: Duration) async throws(JobWriteError) {
        let milliseconds = timeout.wholeMilliseconds
        let acknowledged: Int64
        do {
            acknowledged = try await self.client.send(["WAIT", "1", String(max(milliseconds, 1))], key: key).integer ?? 0
        } catch {
            throw Self.writeError(error)
        }
        guard acknowledged >= 1 else {
            throw .notReplicated(
                "no replica acknowledged the write within \(DurationText.format(timeout)); it is on the primary only and may be lost if the primary fails"
            )
        }
    }

    private static func writeError(_ error: any Error) -> JobWriteError {
        guard let redisError = error as? RedisError else { return .unexpectedReply("\(error)") }
        guard case .server(let reply) = redisError else {
            if case .timeout = redisError {
                return .redisUnavailable(
                    "\(redisError); the write is atomic, so it either fully happened or not at all, and repeating it is safe"
                )
            }
            return .redisUnavailable(redisError.description)
        }
        let detail = String(reply.detail)
        switch WriteScript.ErrorCode(rawValue: reply.code.name) {
        case .invalid, .tooLarge: return .invalidArgument(detail)
        case .notFound: return .notFound(detail)
        case .exists, .refused: return .refused(detail)
        case nil: return .unexpectedReply(reply.message)
        }
    }
}
