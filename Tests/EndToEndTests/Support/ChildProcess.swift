import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A process the tests started; killed at exit even if a test forgets, and listed in
/// `$JOBSTATUS_TEST_PIDFILE` so the test command can clean up after a crash.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let name: String
    let logPath: String

    private static let running = NIOLockedValueBox<Set<Int32>>([])
    private static let registerAtExit: Void = {
        atexit {
            for pid in ChildProcess.running.withLockedValue({ $0 }) {
                Glibc.kill(pid, SIGKILL)
            }
        }
    }()

    init(name: String, executable: String, arguments: [String], environment: [String: String] = [:], directory: String) throws {
        _ = Self.registerAtExit
        self.name = name
        self.logPath = "\(directory)/\(name).log"
        _ = FileManager.default.createFile(atPath: self.logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: self.logPath))
        self.process.executableURL = URL(fileURLWithPath: executable)
        self.process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        self.process.environment = merged
        self.process.standardOutput = log
        self.process.standardError = log
        try self.process.run()
        let pid = self.process.processIdentifier
        Self.running.withLockedValue { _ = $0.insert(pid) }
        if let pidFile = ProcessInfo.processInfo.environment["JOBSTATUS_TEST_PIDFILE"],
            let handle = FileHandle(forWritingAtPath: pidFile)
        {
            handle.seekToEndOfFile()
            handle.write(Data("\(pid)\n".utf8))
            try? handle.close()
        }
    }

    var pid: Int32 { self.process.processIdentifier }
    var isRunning: Bool { self.process.isRunning }

    func signal(_ signal: Int32) {
        Glibc.kill(self.pid, signal)
    }

    /// Waits for the process to exit and returns its exit status (nil on timeout).
    func waitForExit(timeout: Duration = .seconds(20)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        Self.running.withLockedValue { _ = $0.remove(self.pid) }
        return self.process.terminationStatus
    }

    /// SIGKILL, then reap.
    func kill() async {
        if self.process.isRunning {
            self.signal(SIGKILL)
        }
        _ = await self.waitForExit()
    }

    /// User and system CPU time the process has used, in seconds.
    var cpuSeconds: Double {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(self.pid)/stat"), let data = try? handle.readToEnd() else { return .nan }
        let fields = String(decoding: data, as: UTF8.self).split(separator: ")").last?.split(separator: " ") ?? []
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU time the process's threads have run, in nanoseconds (the scheduler's own accounting,
    /// `/proc/<pid>/task/*/schedstat`): precise where `cpuSeconds` counts 10-ms ticks.
    var cpuNanoseconds: UInt64 {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(self.pid)/task")) ?? []
        return tasks.reduce(0) { total, task in
            let text = (try? String(contentsOfFile: "/proc/\(self.pid)/task/\(task)/schedstat", encoding: .utf8)) ?? ""
            return total + (text.split(separator: " ").first.flatMap { UInt64($0) } ?? 0)
        }
    }

    /// Waits until the process uses under 5 % of a core over 200 ms (at most `timeout`).
    func waitUntilQuiet(timeout: Duration = .seconds(30)) async {
        let deadline = ContinuousClock.now + timeout
        var last = self.cpuSeconds
        while ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(200))
            let now = self.cpuSeconds
            if now - last < 0.01 { return }
            last = now
        }
    }

    var log: String {
        (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
    }
}

/// Ports this test process has handed out; never handed out twice, so parallel tests cannot race
/// for one.
private let handedOutPorts = NIOLockedValueBox<Set<Int>>([])

/// A loopback port nobody listens on right now, below the ephemeral range (32768 and up) so that
/// no outgoing connection can take it before the server binds it. A cluster node also needs its
/// bus port (the port + 10000) free.
func freePort(withClusterBus: Bool = false) -> Int {
    func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
    while true {
        let candidate = Int.random(in: 10000...22000)
        guard isFree(candidate), !withClusterBus || isFree(candidate + 10000) else { continue }
        let fresh = handedOutPorts.withLockedValue { ports in
            guard !ports.contains(candidate), !ports.contains(candidate + 10000), !ports.contains(candidate - 10000) else { return false }
            ports.insert(candidate)
            if withClusterBus { ports.insert(candidate + 10000) }
            return true
        }
        if fresh { return candidate }
    }
}

/// A fresh directory for one test environment's files and logs.
func makeTemporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "jobstatus-tests-\(name)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(25))
    }
    return await condition()
}
