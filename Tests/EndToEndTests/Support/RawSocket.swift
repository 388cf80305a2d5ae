import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A client socket for clients that misbehave: a small receive buffer set before connecting (so
/// its window closes quickly), non-blocking, and sends that take only what the kernel takes now.
final class RawSocket {
    let fd: Int32

    init(port: Int, receiveBuffer: Int32 = 4096) throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var size = receiveBuffer
        _ = setsockopt(self.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        guard connectLoopback(self.fd, port: port) else { throw TestFailure("cannot connect to 127.0.0.1:\(port): errno \(errno)") }
        _ = fcntl(self.fd, F_SETFL, fcntl(self.fd, F_GETFL) | O_NONBLOCK)
    }

    deinit {
        close(self.fd)
    }

    /// Sends what the kernel takes of `bytes` right now: the count (0 when the window is closed),
    /// or nil when the connection is broken.
    func sendSome(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty else { return 0 }
        let written = bytes.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written >= 0 { return written }
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : nil
    }

    /// Sends all of `bytes` unless the peer stops taking them for `patience`; the count sent.
    func sendAll(_ bytes: [UInt8], patience: Duration = .milliseconds(500)) async -> Int {
        var offset = 0
        var stalledSince = ContinuousClock.now
        while offset < bytes.count {
            guard let written = self.sendSome(bytes[offset...]) else { return offset }
            if written > 0 {
                offset += written
                stalledSince = ContinuousClock.now
            } else if ContinuousClock.now - stalledSince > patience {
                return offset
            } else {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        return offset
    }

    /// The kernel's TCP state of this socket (`TCP_ESTABLISHED` = 1, `TCP_CLOSE` = 7, `TCP_CLOSE_WAIT` = 8).
    var tcpState: UInt8 {
        var info = tcp_info()
        var length = socklen_t(MemoryLayout<tcp_info>.size)
        guard getsockopt(self.fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0 else { return 0 }
        return info.tcpi_state
    }

    /// Whether the server ended the connection: reset it (`CLOSE`), or closed it (`CLOSE_WAIT`).
    var isClosedByPeer: Bool {
        let state = self.tcpState
        return state == 7 || state == 8
    }
}

/// A process's resident memory, in MB.
func residentMegabytes(of pid: Int32) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
        let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
    else { return .nan }
    return kilobytes / 1024
}

/// The kernel's sockets on the server side of `port` (from /proc/net/tcp), listening and
/// TIME_WAIT ones left out: what a server still holds, closed by its process or not.
func serverSockets(port: Int) -> Int {
    // /proc files report no size: read them to the end, not one page.
    guard let handle = FileHandle(forReadingAtPath: "/proc/net/tcp"), let data = try? handle.readToEnd() else { return -1 }
    let table = String(decoding: data, as: UTF8.self)
    let localPort = String(format: ":%04X", port)
    return table.split(separator: "\n").dropFirst().filter { line in
        let fields = line.split(separator: " ")
        guard fields.count > 3, fields[1].hasSuffix(localPort) else { return false }
        // 0A: LISTEN, 06: TIME_WAIT.
        return fields[3] != "0A" && fields[3] != "06"
    }.count
}
