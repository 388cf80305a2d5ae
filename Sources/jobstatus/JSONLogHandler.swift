import Foundation
import JobStatusCore
import Logging
import NIOCore

/// `log.format: json`: one JSON object per line on standard error — timestamp, level, logger,
/// message, source and every metadata value — for log pipelines that parse fields.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let extra = event.metadata {
            merged.merge(extra) { _, new in new }
        }
        var line = ByteBuffer()
        line.writeStaticString(#"{"ts":"#)
        line.writeJSONString(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        line.writeStaticString(#","level":"#)
        line.writeJSONString(event.level.rawValue)
        line.writeStaticString(#","logger":"#)
        line.writeJSONString(self.label)
        line.writeStaticString(#","message":"#)
        line.writeJSONString(event.message.description)
        line.writeStaticString(#","source":"#)
        line.writeJSONString(event.source)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line.writeStaticString(",")
            line.writeJSONString(key)
            line.writeStaticString(":")
            line.writeJSONString(value.description)
        }
        line.writeStaticString("}\n")
        // One write(2) per line: lines from several threads never interleave.
        line.withUnsafeReadableBytes { bytes in
            _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count)
        }
    }
}
