import CoreMetrics
import Foundation
import JobStatusConfiguration
public import Logging
import NIOPosix
public import ServiceLifecycle
import UnixSignals

/// Reads the tokens file and the JWT key files again when they change, and on `SIGHUP`, without a
/// restart.
///
/// Every `auth.reload_interval` it reads each file (off the event loops) and compares it with what
/// it read last; a changed file is loaded whole and, when valid, put in use at once (requests in
/// flight finish with the set they started with). A file that cannot be read or is invalid leaves
/// the set in use: the log says why, and `jobstatus_auth_reloads_total{outcome="refused"}` counts
/// it. Comparing contents, not times, sees every way a file is replaced: an edit in place, a rename
/// over it, a Kubernetes ConfigMap or Secret swapping its symbolic links. `SIGHUP` loads every file
/// whether it changed or not.
public struct CredentialReloader: Service {
    private static let loaded = Counter(label: "jobstatus_auth_reloads_total", dimensions: [("outcome", "loaded")])
    private static let refused = Counter(label: "jobstatus_auth_reloads_total", dimensions: [("outcome", "refused")])

    private let authentication: Authentication
    private let interval: Duration
    private let logger: Logger

    public init(authentication: Authentication, interval: Duration, logger: Logger) {
        self.authentication = authentication
        self.interval = interval
        self.logger = logger
    }

    /// The files to watch, each with its setting's name.
    public var files: [(setting: String, path: String)] {
        switch self.authentication {
        case .tokens(let tokens):
            return [("auth.tokens_file", tokens.source)]
        case .jwt(let jwt):
            return jwt.keyFiles
        case .none, .gateway:
            return []
        }
    }

    public func run() async throws {
        let files = self.files
        guard !files.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        // What was loaded at start-up, moments ago: the first look compares with it.
        var loaded = [String: Data?]()
        for file in files {
            loaded[file.path] = await Self.contents(of: file.path)
        }
        let startingPoint = loaded
        let (checks, continuation) = AsyncStream.makeStream(of: Bool.self, bufferingPolicy: .bufferingNewest(1))
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in signals { continuation.yield(true) }
            }
            if self.interval > .zero {
                group.addTask {
                    while (try? await Task.sleep(for: self.interval)) != nil { continuation.yield(false) }
                }
            }
            group.addTask {
                var seen = startingPoint
                for await everything in checks {
                    await self.check(files, seen: &seen, everything: everything)
                }
            }
            try? await gracefulShutdown()
            continuation.finish()
            group.cancelAll()
        }
    }

    /// Loads the credentials again when a file changed (or `everything`, on SIGHUP).
    private func check(_ files: [(setting: String, path: String)], seen: inout [String: Data?], everything: Bool) async {
        var changed: [String] = []
        for file in files {
            let contents = await Self.contents(of: file.path)
            if everything || contents != seen[file.path] ?? nil {
                changed.append(file.setting)
            }
            seen[file.path] = contents
        }
        guard !changed.isEmpty else { return }
        let setting = changed.joined(separator: ", ")
        do {
            let count = try await self.reload()
            Self.loaded.increment()
            self.logger.notice("loaded the credentials again", metadata: ["changed": "\(setting)", "in_use": "\(count)"])
        } catch {
            Self.refused.increment()
            self.logger.error("kept the credentials in use: the new ones cannot be loaded", metadata: ["changed": "\(setting)", "error": "\(error)"])
        }
    }

    private func reload() async throws(ConfigurationError) -> Int {
        switch self.authentication {
        case .tokens(let tokens):
            return try tokens.reload()
        case .jwt(let jwt):
            return try await jwt.reload()
        case .none, .gateway:
            return 0
        }
    }

    /// A file's bytes, read on NIO's thread pool; nil when it cannot be read.
    private static func contents(of path: String) async -> Data? {
        (try? await NIOThreadPool.singleton.runIfActive { FileManager.default.contents(atPath: path) }) ?? nil
    }
}
