import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One parsed HTTP response.
struct HTTPTestResponse: Sendable {
    let status: Int
    let headers: [(String, String)]
    let body: String

    func header(_ name: String) -> String? {
        self.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    func headers(_ name: String) -> [String] {
        self.headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }

    /// The body parsed as a JSON object.
    var json: [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(self.body.utf8)) as? [String: Any]
    }
}

/// A deliberately low-level HTTP/1.1 client over a blocking socket: the tests control every byte
/// sent (pipelining, malformed requests, slow heads) and see every byte received.
final class HTTPTestClient {
    private let fd: Int32
    private var received: [UInt8] = []
    /// Method and target of each request sent and not answered yet, for `ContractLog`.
    private var pendingRequests: [(method: String, target: String)] = []
    /// How long a read may wait for bytes.
    var timeout: Duration

    /// - Parameter source: the loopback address to connect from (`127.0.0.2`: another peer, as
    ///   far as per-address limits go); the kernel's choice when nil.
    init(port: Int, timeout: Duration = .seconds(10), from source: String? = nil) throws {
        self.timeout = timeout
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw TestFailure("cannot bind to \(source): errno \(errno)") }
        }
        guard connectLoopback(self.fd, port: port) else {
            // No close here: self is fully initialized, so deinit runs and closes the socket.
            // Closing it twice could close a descriptor another test has opened meanwhile.
            throw TestFailure("cannot connect to 127.0.0.1:\(port): errno \(errno)")
        }
        // Non-blocking, so a test waiting for bytes sleeps instead of holding one of the few
        // threads of Swift's cooperative pool (which would stall every other test).
        _ = fcntl(self.fd, F_SETFL, fcntl(self.fd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(self.fd)
    }

    func send(_ text: String) throws {
        try self.send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        self.pendingRequests += ContractLog.requestLines(in: bytes)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                usleep(1000)
                continue
            }
            guard written > 0 else { throw TestFailure("send failed: errno \(errno)") }
            offset += written
        }
    }

    /// A GET (or other method) with the usual headers.
    func request(
        _ path: String,
        method: String = "GET",
        token: String? = nil,
        headers: [(String, String)] = [],
        host: String? = "localhost"
    ) async throws -> HTTPTestResponse {
        try self.send(Self.requestText(path, method: method, token: token, headers: headers, host: host))
        return try await self.readResponse(isHead: method == "HEAD")
    }

    static func requestText(
        _ path: String,
        method: String = "GET",
        token: String? = nil,
        headers: [(String, String)] = [],
        host: String? = "localhost"
    ) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\n"
        if let host { text += "Host: \(host)\r\n" }
        if let token { text += "Authorization: Bearer \(token)\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    /// Reads one response; `isHead` says the response has no body whatever its Content-Length.
    func readResponse(isHead: Bool = false) async throws -> HTTPTestResponse {
        let headEnd = try await self.readUntil { bytes in
            bytes.indices.dropLast(3).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
        }
        let headText = String(decoding: self.received[..<headEnd], as: UTF8.self)
        self.received.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let statusParts = statusLine.split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestFailure("bad status line \(statusLine)") }
        let headers = lines.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return (String(line[..<colon]), String(line[colon...].dropFirst()).trimmingCharacters(in: .whitespaces))
        }
        let length = isHead ? 0 : Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
        _ = try await self.readUntil { $0.count >= length ? length : nil }
        let body = String(decoding: self.received[..<length], as: UTF8.self)
        self.received.removeFirst(length)
        let response = HTTPTestResponse(status: status, headers: headers, body: body)
        self.record(response, hasBody: !isHead)
        return response
    }

    /// Hands the response, with the request it answers, to the contract check.
    private func record(_ response: HTTPTestResponse, hasBody: Bool) {
        guard !self.pendingRequests.isEmpty else { return }
        let request = self.pendingRequests.removeFirst()
        ContractLog.shared?.record(method: request.method, target: request.target, response: response, hasBody: hasBody)
    }

    /// Reads the head of a chunked (streaming) response.
    func readStreamHead() async throws -> HTTPTestResponse {
        let headEnd = try await self.readUntil { bytes in
            bytes.indices.dropLast(3).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
        }
        let headText = String(decoding: self.received[..<headEnd], as: UTF8.self)
        self.received.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
        let headers = lines.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":") ?? line.endIndex
            return (String(line[..<colon]), String(line[colon...].dropFirst()).trimmingCharacters(in: .whitespaces))
        }
        let response = HTTPTestResponse(status: status, headers: headers, body: "")
        self.record(response, hasBody: false)
        return response
    }

    /// Reads one chunk of a chunked body; the empty string is the last chunk.
    func readChunk() async throws -> String {
        let lineEnd = try await self.readUntil { bytes in
            bytes.indices.dropLast().first { bytes[$0] == 13 && bytes[$0 + 1] == 10 }
        }
        let size = Int(String(decoding: self.received[..<lineEnd], as: UTF8.self), radix: 16) ?? -1
        guard size >= 0 else { throw TestFailure("bad chunk size line") }
        self.received.removeFirst(lineEnd + 2)
        _ = try await self.readUntil { $0.count >= size + 2 ? size : nil }
        let data = String(decoding: self.received[..<size], as: UTF8.self)
        self.received.removeFirst(size + 2)
        return data
    }

    /// True when the server closed the connection (EOF) before `timeout`, with nothing unread.
    func isClosedByPeer(within timeout: Duration = .seconds(5)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        // Looks once more after the deadline: a test process that stalled past it must still see
        // a close that came in time.
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if count == 0 || (count < 0 && errno == ECONNRESET) { return true }
            if count > 0 || ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Whatever bytes are buffered or arrive within `timeout`, as text; empty if none.
    func readAvailable(within timeout: Duration = .milliseconds(200)) async -> String {
        let deadline = ContinuousClock.now + timeout
        while self.received.isEmpty && ContinuousClock.now < deadline {
            if (try? self.receiveOnce()) == nil { break }
            if self.received.isEmpty { try? await Task.sleep(for: .milliseconds(2)) }
        }
        defer { self.received.removeAll() }
        return String(decoding: self.received, as: UTF8.self)
    }

    /// One non-blocking receive into `received`: true if bytes came, false if none are there
    /// yet; throws when the connection is closed or broken.
    @discardableResult
    private func receiveOnce() throws -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            self.received += buffer[..<count]
            return true
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return false }
        throw TestFailure(count == 0 ? "connection closed by the server" : "receive failed: errno \(errno)")
    }

    private func readUntil(_ found: ([UInt8]) -> Int?) async throws -> Int {
        let deadline = ContinuousClock.now + self.timeout
        while true {
            if let index = found(self.received) { return index }
            if try !self.receiveOnce() {
                guard ContinuousClock.now < deadline else { throw TestFailure("timed out waiting for the server") }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
    }
}

/// Connects `fd` to 127.0.0.1:`port`, blocking.
func connectLoopback(_ fd: Int32, port: Int) -> Bool {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    } == 0
}
