import Glibc

/// Reads a small file that holds a secret, such as a Redis password mounted from a secret store.
///
/// Blocking: call it off the event loop. It is read again at every (re)connect, so a rotated
/// secret needs no restart; the contents never appear in an error.
enum SecretFile {
    /// The most a password file may hold; anything longer is not a password.
    static let maximumSize = 64 * 1024

    /// The file's text without its trailing line break (editors and `echo` add one).
    static func read(_ path: String, setting: String) throws(RedisConnectFailure) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RedisConnectFailure("cannot read \(setting) \(path): \(Self.lastErrorText())")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw RedisConnectFailure("cannot read \(setting) \(path): \(Self.lastErrorText())")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= Self.maximumSize else {
                throw RedisConnectFailure("\(setting) \(path) is larger than \(Self.maximumSize) bytes")
            }
        }
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") {
            bytes.removeLast()
        }
        guard !bytes.isEmpty else {
            throw RedisConnectFailure("\(setting) \(path) is empty")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Why the file cannot be read (missing, no permission), or nil when it can.
    static func unreadableReason(path: String) -> String? {
        access(path, R_OK) == 0 ? nil : Self.lastErrorText()
    }

    private static func lastErrorText() -> String {
        String(cString: strerror(errno))
    }
}
