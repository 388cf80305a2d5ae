import Logging
import NIOConcurrencyHelpers

/// What the store and its Redis connections log (debug and up), each line with the time since the
/// log began: a test of reconnection prints it when it fails, so a slow reconnection shows where
/// its time went (connect attempts, their failures, the subscriber's resubscriptions).
final class TimedLog: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    private let start = ContinuousClock.now

    var logger: Logger {
        var logger = Logger(label: "store") { _ in Handler(log: self) }
        logger.logLevel = .debug
        return logger
    }

    var text: String {
        self.lines.withLockedValue { $0.joined(separator: "\n") }
    }

    fileprivate func record(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata) {
        let elapsed = ContinuousClock.now - self.start
        let details = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        self.lines.withLockedValue { $0.append("\(elapsed) \(level) \(message) \(details)") }
    }

    private struct Handler: LogHandler {
        let log: TimedLog
        var logLevel: Logger.Level = .debug
        var metadata: Logger.Metadata = [:]

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            self.log.record(event.level, event.message.description, self.metadata.merging(event.metadata ?? [:]) { _, new in new })
        }
    }
}
