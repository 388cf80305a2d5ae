import Foundation

/// A raw pattern subscriber: counts the messages Redis publishes per channel.
final class ChannelCounter: @unchecked Sendable {
    private let socket: HTTPTestClient

    init(port: Int, pattern: String) async throws {
        self.socket = try HTTPTestClient(port: port, timeout: .seconds(5))
        try self.socket.send("PSUBSCRIBE \(pattern)\r\n")
        _ = await self.socket.readAvailable(within: .milliseconds(300))
    }

    /// Messages per channel received so far (and within `settle`).
    func counts(settle: Duration = .milliseconds(300)) async -> [String: Int] {
        var text = ""
        while true {
            let more = await self.socket.readAvailable(within: settle)
            if more.isEmpty { break }
            text += more
        }
        var counts: [String: Int] = [:]
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        // *4 $8 pmessage $n <pattern> $n <channel> $n <payload>
        var index = 0
        while index + 8 < lines.count {
            if lines[index] == "*4", lines[index + 2] == "pmessage" {
                counts[String(lines[index + 6]), default: 0] += 1
                index += 9
            } else {
                index += 1
            }
        }
        return counts
    }
}
