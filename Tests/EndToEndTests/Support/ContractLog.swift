import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// Every response the end-to-end tests receive, with the request it answers, as JSON lines in
/// `$JOBSTATUS_CONTRACT_LOG`. The test command then checks each one against `docs/openapi.yaml`
/// (`scripts/contract/validate_responses.py`), so the document cannot drift from the server.
final class ContractLog: Sendable {
    static let shared: ContractLog? = ProcessInfo.processInfo.environment["JOBSTATUS_CONTRACT_LOG"].map(ContractLog.init)

    private let fd: NIOLockedValueBox<Int32>

    private init(path: String) {
        self.fd = NIOLockedValueBox(open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644))
    }

    /// The request lines (`GET /path HTTP/1.1`) that begin requests in `bytes`; anything else —
    /// header lines sent on their own, garbage — is not a request the document can describe.
    static func requestLines(in bytes: [UInt8]) -> [(method: String, target: String)] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.components(separatedBy: "\r\n\r\n").compactMap { head in
            // "\r\n" is one Character in Swift: split on the string, not on characters.
            let line = head.components(separatedBy: "\r\n")[0]
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0",
                !parts[0].isEmpty, parts[0].allSatisfy({ $0.isUppercase && $0.isASCII }), parts[1].hasPrefix("/")
            else { return nil }
            return (String(parts[0]), String(parts[1]))
        }
    }

    func record(method: String, target: String, response: HTTPTestResponse, hasBody: Bool) {
        let entry: [String: Any] = [
            "method": method, "target": target, "status": response.status,
            "headers": response.headers.map { [$0.0, $0.1] },
            "body": hasBody ? response.body : NSNull(),
        ]
        guard var line = try? JSONSerialization.data(withJSONObject: entry) else { return }
        line.append(UInt8(ascii: "\n"))
        self.fd.withLockedValue { fd in
            _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        }
    }
}
