/// The byte classes of HTTP/1.1's grammar (RFC 9110 §5.6, RFC 9112), as `HTTPRequestParser`
/// checks them.
enum HTTPBytes {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")

    /// A `tchar`: what methods and header names are made of.
    @inline(__always)
    static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// A byte of a field value: visible ASCII, obs-text, or a blank between them. No control.
    @inline(__always)
    static func isFieldValue(_ byte: UInt8) -> Bool {
        (byte >= 0x20 && byte != 0x7F) || byte == Self.tab
    }

    /// A byte of a request target: visible ASCII only (RFC 3986; no blank, control or non-ASCII).
    @inline(__always)
    static func isTarget(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F
    }

    @inline(__always)
    static func isBlank(_ byte: UInt8) -> Bool {
        byte == Self.space || byte == Self.tab
    }

    /// Calls `body` with each element of a comma-separated list, without the blanks around it;
    /// empty elements are skipped (RFC 9110 §5.6.1).
    static func forEachListElement(_ value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start < value.count {
            let end = value[start...].firstIndex(of: UInt8(ascii: ",")) ?? value.count
            var first = start
            var last = end
            while first < last, Self.isBlank(value[first]) { first += 1 }
            while last > first, Self.isBlank(value[last - 1]) { last -= 1 }
            if first < last { body(UnsafeRawBufferPointer(rebasing: value[first..<last])) }
            start = end + 1
        }
    }

    /// Whether `bytes` spell `lowercase` in any case; `lowercase` is letters, digits and `-`.
    /// Only for bytes the parser has checked (a token, or a field value: no control), since the
    /// case bit alone also maps controls 0x0D and 0x10–0x19 onto `-` and the digits.
    static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] | 0x20 {
            return false
        }
        return true
    }
}
