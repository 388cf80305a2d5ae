import JobStatusCore

/// Whether a `Host` (or trusted `X-Forwarded-Host`) value is an authority as RFC 3986 §3.2.2
/// spells one: a reg-name, an IPv4 address or a bracketed IP literal, then an optional `:port`.
///
/// The value is repeated into every envelope's `meta.url`, which clients follow: a value of
/// another shape (`a/b?c`, `user@host`, spaces, quotes) is replaced by the configured default,
/// as a missing Host is, rather than echoed.
enum HostAuthority {
    static func isValid(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { Self.isValid(UnsafeRawBufferPointer($0)) }
    }

    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty else { return false }
        var hostEnd: Int
        if bytes[0] == UInt8(ascii: "[") {
            // IP-literal: hex digits, colons and dots (IPv6, IPv4-mapped) within brackets.
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1 else { return false }
            for byte in bytes[1..<close] where !(byte.hexValue != nil || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")) {
                return false
            }
            hostEnd = close + 1
        } else {
            hostEnd = bytes.lastIndex(of: UInt8(ascii: ":")) ?? bytes.count
            var index = 0
            while index < hostEnd {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%") {
                    guard index + 2 < hostEnd, bytes[index + 1].hexValue != nil, bytes[index + 2].hexValue != nil else { return false }
                    index += 3
                    continue
                }
                guard Self.isRegNameByte(byte) else { return false }
                index += 1
            }
            guard hostEnd > 0 else { return false }
        }
        guard hostEnd < bytes.count else { return true }
        // ":" then at most five digits (an empty port is allowed by RFC 3986).
        guard bytes[hostEnd] == UInt8(ascii: ":"), bytes.count - hostEnd - 1 <= 5 else { return false }
        return bytes[(hostEnd + 1)...].allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// unreserved and sub-delims.
    private static func isRegNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }
}
