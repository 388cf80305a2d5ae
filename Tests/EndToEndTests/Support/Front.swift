import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The built `jobstatus` binary, as the test command produced it.
enum Binary {
    static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["JOBSTATUS_BINARY"] { return explicit }
        let testBundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBundle.deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("jobstatus").path
    }

    /// Runs a subcommand to completion: exit status, stdout and stderr.
    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String, error: String) {
        try await runProcess(self.path, arguments, environment: environment)
    }
}

/// Runs a program to completion on a thread of its own (waiting for it must not hold one of the
/// cooperative pool's few threads): exit status, stdout and stderr.
func runProcess(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String] = [:]
) async throws -> (status: Int32, output: String, error: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            do {
                continuation.resume(returning: try runProcessBlocking(executable, arguments, environment: environment))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module
/// does not import: looked up once.
private let spawnCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
}()

func runProcessBlocking(
    _ executable: String,
    _ arguments: [String],
    environment: [String: String]
) throws -> (status: Int32, output: String, error: String) {
    // posix_spawn and waitpid rather than Foundation's Process, whose end-of-process detection
    // waits for every inheritor of a descriptor it hands the child, and files rather than pipes:
    // programs that leave background processes behind (scripts/topology.sh) must not hang this.
    let directory = makeTemporaryDirectory("run")
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let outputPath = "\(directory)/stdout"
    let errorPath = "\(directory)/stderr"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    // Nothing but stdio crosses: NIO's sockets are not close-on-exec, and a child (or a daemon a
    // script leaves behind, scripts/topology.sh) holding a copy of another test's socket keeps that
    // connection open after the test closes it, so its peer never sees the close (a scripted-Redis
    // store test waited 5 s for a reconnect that nothing had caused, in about one CI run in six).
    guard let closeFrom = spawnCloseFrom else { throw TestFailure("this libc has no posix_spawn_file_actions_addclosefrom_np") }
    let closed = closeFrom(&actions, 3)
    guard closed == 0 else { throw TestFailure("posix_spawn_file_actions_addclosefrom_np: errno \(closed)") }
    let variables = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.map { "\($0)=\($1)" }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = variables.map { strdup($0) } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard spawned == 0 else { throw TestFailure("cannot start \(executable): errno \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (
        exitStatus,
        ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
        (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
    )
}

/// Demo credentials written into each test environment's tokens file.
enum Tokens {
    static let owner = "token-of-mis-1"
    static let other = "token-of-mis-2"
    static let noScope = "token-without-job-read"

    static let file = """
        {"tokens": [
          {"client_id": "mis-1", "sha256": "\(sha256(owner))", "scopes": ["job:read"]},
          {"client_id": "mis-2", "sha256": "\(sha256(other))", "scopes": ["job:read"]},
          {"client_id": "mis-3", "sha256": "\(sha256(noScope))", "scopes": ["patient:read"]}
        ]}
        """

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }
}

/// A running `jobstatus serve`.
final class Front: @unchecked Sendable {
    let port: Int
    /// `metrics.port`, when the front was started with one.
    let operatorPort: Int?
    let child: ChildProcess
    let directory: String

    static func start(
        _ name: String,
        redis: RedisServer,
        environment: [String: String] = [:],
        port: Int? = nil
    ) async throws -> Front {
        // On the shared Redis, whose stalls under every suite at once passed 500 ms, a Redis timeout
        // of 2 s unless the test sets one: its tests are not about Redis timeouts.
        let defaults = redis.isShared ? ["REDIS_TIMEOUT": "2s"] : [:]
        return try await self.start(name, redisURL: redis.url, environment: defaults.merging(environment) { $1 }, port: port)
    }

    /// `port`: the port of a front stopped before (a restart), else a free one.
    static func start(
        _ name: String,
        redisURL: String,
        environment: [String: String] = [:],
        port: Int? = nil
    ) async throws -> Front {
        let directory = makeTemporaryDirectory("front-\(name)")
        let tokensFile = "\(directory)/tokens.json"
        try Tokens.file.write(toFile: tokensFile, atomically: true, encoding: .utf8)
        let port = port ?? freePort()
        var variables = [
            "HTTP_HOST": "127.0.0.1", "HTTP_PORT": "\(port)", "REDIS_URL": redisURL, "AUTH_MODE": "tokens",
            "AUTH_TOKENS_FILE": tokensFile, "REDIS_TIMEOUT": "500ms", "JOBSTATUS_CONFIG": "", "LOG_LEVEL": "info",
            // The tests poll hard with few tokens; the limits have their own tests.
            "LIMITS_RATE": "0",
            // Misuse of event loops crashes instead of printing a warning.
            "SWIFTNIO_STRICT": "1",
        ]
        variables.merge(environment) { _, new in new }
        let child = try ChildProcess(
            name: "front-\(name)",
            executable: Binary.path,
            arguments: ["serve"],
            environment: variables,
            directory: directory
        )
        let front = Front(port: port, operatorPort: variables["METRICS_PORT"].flatMap(Int.init), child: child, directory: directory)
        // Every listener: the operator port is bound after the API port, so the API answering
        // does not mean the operator port does yet (a loaded machine showed the gap).
        let ports = [port] + (front.operatorPort.map { [$0] } ?? [])
        let up = await eventually {
            for port in ports {
                guard (try? await HTTPTestClient(port: port, timeout: .seconds(1)).request("/health/live"))?.status == 200 else { return false }
            }
            return true
        }
        guard up else { throw TestFailure("jobstatus serve did not start (ports \(ports)):\n\(child.log)") }
        return front
    }

    private init(port: Int, operatorPort: Int?, child: ChildProcess, directory: String) {
        self.port = port
        self.operatorPort = operatorPort == 0 ? nil : operatorPort
        self.child = child
        self.directory = directory
    }

    func client(timeout: Duration = .seconds(10)) throws -> HTTPTestClient {
        try HTTPTestClient(port: self.port, timeout: timeout)
    }

    /// One request on a fresh connection.
    func get(_ path: String, token: String? = Tokens.owner, headers: [(String, String)] = []) async throws -> HTTPTestResponse {
        try await self.client().request(path, token: token, headers: headers)
    }

    /// The environment of a front whose access log `answerDuration` reads: JSON lines, one per answer.
    static let accessLog = ["LOG_FORMAT": "json", "LOG_ACCESS": "true"]

    /// How long the front took to answer the request sent with `X-Request-ID: requestID`, as its
    /// access log says (from the request's first byte to the answer; start it with `accessLog`):
    /// the front's own figure, free of the test process's scheduling, which on a loaded machine
    /// adds its own delay to a time the test measures around the request.
    func answerDuration(requestID: String) async -> Duration? {
        var found: Duration?
        _ = await eventually(timeout: .seconds(2)) {
            let entry = self.logEntries("request", containing: #""request_id":"\#(requestID)""#).first
            guard let milliseconds = (entry?["duration_ms"] as? String).flatMap(Double.init) else { return false }
            found = .microseconds(Int64(milliseconds * 1000))
            return true
        }
        return found
    }

    /// When the front logged `message` (on a line that also contains `text`) first at or after
    /// `since` (its JSON log's `ts`; start it with `LOG_FORMAT=json`): the front's own instant,
    /// free of the test process's stalls, which a test compares with the wall clock it read on
    /// the side of its own action that a stall can only move in the bound's favour.
    func loggedInstant(of message: String, containing text: String = "", since: Date, timeout: Duration = .seconds(10)) async -> Date? {
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var found: Date?
        _ = await eventually(timeout: timeout) {
            found = self.logEntries(message, containing: text)
                .compactMap { ($0["ts"] as? String).flatMap { try? format.parse($0) } }
                .first { $0 >= since.addingTimeInterval(-0.001) }
            return found != nil
        }
        return found
    }

    /// The lines of the front's JSON log (`LOG_FORMAT=json`) with `message` that contain `text`;
    /// the access log's are `"request"` (`log.access`).
    func logLines(_ message: String, containing text: String = "") -> [Substring] {
        self.child.log.split(separator: "\n").filter { $0.contains(#""message":"\#(message)""#) && (text.isEmpty || $0.contains(text)) }
    }

    /// `logLines`, parsed.
    func logEntries(_ message: String, containing text: String = "") -> [[String: Any]] {
        self.logLines(message, containing: text).compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// `/health/ready` where operators read it, with why Redis is unavailable: the operator port
    /// (start the front with `METRICS_PORT`); the public port says only the status.
    func operatorReadiness() async throws -> HTTPTestResponse {
        guard let operatorPort = self.operatorPort else { throw TestFailure("the front was started without METRICS_PORT") }
        return try await HTTPTestClient(port: operatorPort).request("/health/ready")
    }

    /// SIGTERM, and the exit status.
    func terminate() async -> Int32? {
        self.child.signal(SIGTERM)
        return await self.child.waitForExit()
    }
}
