import Foundation
import Logging
import RedisWire

#if canImport(Glibc)
import Glibc
#endif

/// A real `redis-server` on a free loopback port, owned by one test environment.
final class RedisServer: @unchecked Sendable {
    let port: Int
    let directory: String
    private(set) var child: ChildProcess

    /// Whether the server speaks TLS only (`--port 0 --tls-port`).
    let tls: Bool

    var url: String { "\(self.tls ? "rediss" : "redis")://127.0.0.1:\(self.port)" }
    /// The URL the tests' own commands use (credentials of an all-powerful user, when the server
    /// has ACL users).
    var adminURL: String

    let extraArguments: [String]
    /// The `SharedEnvironment`'s: every suite's commands meet on it at once (set before it is shared).
    var isShared = false
    /// The configuration file given before the arguments (a sentinel's, which it rewrites).
    let configFile: String?

    /// Starts a server on a free port; `arguments` add to (or override) the defaults. With
    /// `tls`, it speaks TLS only, presenting that certificate (see `TestCertificates`); with
    /// `cluster`, the port's cluster bus (port + 10000) is free too. `configFile` comes first on
    /// the command line (a sentinel needs one it may write: pass `--sentinel` in `arguments`).
    ///
    /// A port found free can be taken by another test's process before redis-server binds it
    /// (the suites run in parallel): when the port was not given, that is retried on another.
    static func start(
        _ name: String,
        arguments: [String] = [],
        port: Int? = nil,
        admin: String? = nil,
        tls: (certificate: String, authClients: Bool)? = nil,
        cluster: Bool = false,
        configFile: String? = nil
    ) async throws -> RedisServer {
        for attempt in 1... {
            do {
                return try await self.launchOnce(
                    name, arguments: arguments, port: port ?? freePort(withClusterBus: cluster), admin: admin, tls: tls, cluster: cluster,
                    configFile: configFile
                )
            } catch let failure as TestFailure where port == nil && attempt < 3 && failure.description.contains("Address already in use") {
                continue
            }
        }
        fatalError("unreachable")
    }

    private static func launchOnce(
        _ name: String,
        arguments: [String],
        port: Int,
        admin: String?,
        tls: (certificate: String, authClients: Bool)?,
        cluster: Bool,
        configFile: String?
    ) async throws -> RedisServer {
        let directory = makeTemporaryDirectory("redis-\(name)")
        let tlsArguments = tls.map {
            TestCertificates.shared.serverArguments(port: port, certificate: $0.certificate, authClients: $0.authClients, cluster: cluster)
        } ?? []
        let allArguments = arguments + tlsArguments
        let server = RedisServer(
            port: port,
            directory: directory,
            extraArguments: allArguments,
            configFile: configFile,
            adminURL: "\(tls == nil ? "redis" : "rediss")://\(admin.map { "\($0)@" } ?? "")127.0.0.1:\(port)",
            tls: tls != nil,
            child: try Self.launch(port: port, directory: directory, extraArguments: allArguments, configFile: configFile)
        )
        do {
            try await server.waitUntilReady()
        } catch {
            await server.stop()
            throw error
        }
        return server
    }

    private init(port: Int, directory: String, extraArguments: [String], configFile: String?, adminURL: String, tls: Bool, child: ChildProcess) {
        self.configFile = configFile
        self.tls = tls
        self.port = port
        self.directory = directory
        self.extraArguments = extraArguments
        self.adminURL = adminURL
        self.child = child
    }

    private static func launch(port: Int, directory: String, extraArguments: [String], configFile: String?) throws -> ChildProcess {
        try ChildProcess(
            name: "redis-\(port)",
            executable: Self.executable,
            arguments: (configFile.map { [$0] } ?? []) + [
                "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory,
                "--daemonize", "no", "--protected-mode", "no",
            ] + extraArguments,
            directory: directory
        )
    }

    static var executable: String {
        for candidate in ["/usr/bin/redis-server", "/usr/local/bin/redis-server"] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return "/usr/bin/redis-server"
    }

    func waitUntilReady() async throws {
        let ready = await eventually {
            (try? await self.command(["PING"])) == .simpleString("PONG")
        }
        guard ready else { throw TestFailure("redis-server on port \(self.port) did not start:\n\(self.child.log)") }
    }

    /// Kills the server (its data is gone: persistence is off).
    func stop() async {
        await self.child.kill()
    }

    /// Starts it again on the same port.
    func restart() async throws {
        self.child = try Self.launch(port: self.port, directory: self.directory, extraArguments: self.extraArguments, configFile: self.configFile)
        try await self.waitUntilReady()
    }

    func pause() { self.child.signal(SIGSTOP) }
    func resume() { self.child.signal(SIGCONT) }

    /// Runs one command on a short-lived connection (as the admin user, if any).
    func command(_ arguments: [String]) async throws -> RESPValue {
        try await self.command(arguments, as: self.adminURL)
    }

    /// Runs one command on a short-lived connection to `url` (this server, some user).
    func command(_ arguments: [String], as url: String) async throws -> RESPValue {
        let parsed = try RedisURL(parsing: url)
        let client = try await RedisClient.connect(
            configuration: RedisConnectionConfiguration(
                url: parsed,
                commandTimeout: .seconds(2),
                tls: parsed.tls ? TestCertificates.shared.adminTLS : nil
            ),
            on: TestEventLoop.shared,
            logger: quietLogger
        )
        do {
            let reply = try await client.send(arguments)
            await client.shutdown()
            return reply
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Makes the server answer `LOADING` for a few seconds, as a replica does during a resync:
    /// fills it with `keys` filler keys, then reloads its dataset (`DEBUG RELOAD`) at
    /// `microsecondsPerKey`, serving clients in between. Needs `--enable-debug-command yes`.
    /// Returns when the reload is over.
    func reloadSlowly(keys: Int = 30_000, microsecondsPerKey: Int = 100) async throws {
        _ = try await self.command(["DEBUG", "POPULATE", "\(keys)", "filler"])
        _ = try await self.command(["CONFIG", "SET", "key-load-delay", "\(microsecondsPerKey)"])
        _ = try await self.command(["CONFIG", "SET", "loading-process-events-interval-bytes", "1024"])
        // The reply comes when the reload is done, after this client's timeout: wait for PING instead.
        _ = try? await self.command(["DEBUG", "RELOAD"])
        _ = await eventually(timeout: .seconds(30)) { (try? await self.command(["PING"])) == .simpleString("PONG") }
        _ = try await self.command(["CONFIG", "SET", "key-load-delay", "0"])
    }

    /// How many connections are subscribed to `channel` (PUBSUB NUMSUB): a front subscribes to a
    /// job's channel when its first waiter parks, so tests wait for this instead of sleeping.
    func subscribers(of channel: String) async throws -> Int64 {
        try await self.command(["PUBSUB", "NUMSUB", channel]).array?.last?.integer ?? -1
    }

    /// How many times Redis ran `command` so far (from INFO commandstats).
    func calls(of command: String) async throws -> Int {
        let info = try await self.command(["INFO", "commandstats"]).string ?? ""
        let prefix = "cmdstat_\(command.lowercased()):calls="
        guard let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix(prefix) }) else { return 0 }
        return Int(line.dropFirst(prefix.count).prefix { $0.isNumber }) ?? 0
    }
}

/// Test-side Redis clients report problems through the tests, not the log.
let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

import NIOCore
import NIOPosix

enum TestEventLoop {
    static let shared: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
}
