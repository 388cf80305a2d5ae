import JobStatusCore
import NIOHTTP1

extension HTTPRequestParser {
    /// A complete head, and how the body after it is framed.
    struct ParsedHead {
        let head: RequestHead
        let framing: BodyFraming
    }

    /// Parses a whole head: the request line and the header lines, each ended by CRLF (the
    /// parser has checked that every LF follows a CR), without the blank line that ends it. The
    /// framing lines are read here; the others go to the head (`RequestHead.take`).
    static func parseHead(_ bytes: UnsafeRawBufferPointer) throws(HTTPRequestRefusal) -> ParsedHead {
        var index = 0
        while HTTPBytes.isToken(bytes[index]) { index += 1 }
        guard index > 0, bytes[index] == HTTPBytes.space else { throw .requestLine }
        let method = Self.method(UnsafeRawBufferPointer(rebasing: bytes[0..<index]))
        index += 1
        let targetStart = index
        while HTTPBytes.isTarget(bytes[index]) { index += 1 }
        guard index > targetStart, bytes[index] == HTTPBytes.space else { throw .requestLine }
        let target = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[targetStart..<index]), as: UTF8.self)
        index += 1
        let version = try Self.version(bytes, at: &index)
        let head = RequestHead(method: method, version: version, target: target)

        var contentLength: Int?
        var transferEncoding: (present: Bool, chunkedLast: Bool) = (false, false)
        while index < bytes.count {
            let line = try Self.headerLine(bytes, at: index)
            let name = UnsafeRawBufferPointer(rebasing: bytes[line.name])
            let value = UnsafeRawBufferPointer(rebasing: bytes[line.value])
            switch name.count {
            case 14 where HTTPBytes.equalsIgnoringCase(name, "content-length"):
                guard contentLength == nil, let length = Self.decimal(value) else { throw .contentLength }
                contentLength = length
            case 17 where HTTPBytes.equalsIgnoringCase(name, "transfer-encoding"):
                // Several lines are one list: the last coding of the last line is the one that frames.
                transferEncoding = (true, Self.endsWithChunked(value))
            default:
                head.take(name: name, value: value)
            }
            index = line.next
        }

        let framing: BodyFraming
        if transferEncoding.present {
            // Both would let a proxy and this front disagree on where the request ends (RFC 9112 §6.3).
            guard contentLength == nil, transferEncoding.chunkedLast else { throw .transferEncoding }
            framing = .chunked
            if version == .http1_0 {
                // An HTTP/1.0 hop may not know chunks: read this one, then trust no more of the
                // connection (RFC 9112 §6.1).
                head.closeAfterwards()
            }
        } else {
            framing = contentLength.map { .length($0) } ?? .none
        }
        return ParsedHead(head: head, framing: framing)
    }

    /// The ranges of one header line (`name ":" OWS value OWS CRLF`) that starts at `start`, and
    /// where the next line starts. Also checks a trailer's lines.
    static func headerLine(
        _ bytes: UnsafeRawBufferPointer,
        at start: Int
    ) throws(HTTPRequestRefusal) -> (name: Range<Int>, value: Range<Int>, next: Int) {
        var index = start
        while HTTPBytes.isToken(bytes[index]) { index += 1 }
        // No name (a folded line starts with a blank), a blank before the colon, or no colon.
        guard index > start, bytes[index] == HTTPBytes.colon else { throw .headerLine }
        let name = start..<index
        index += 1
        while HTTPBytes.isBlank(bytes[index]) { index += 1 }
        let valueStart = index
        var valueEnd = index
        while bytes[index] != HTTPBytes.cr {
            let byte = bytes[index]
            guard HTTPBytes.isFieldValue(byte) else { throw .headerLine }
            index += 1
            if !HTTPBytes.isBlank(byte) { valueEnd = index }
        }
        guard bytes[index + 1] == HTTPBytes.lf else { throw .lineEnding }
        return (name, valueStart..<valueEnd, index + 2)
    }

    /// `HTTP/1.0` or `HTTP/1.1` and the CRLF after it.
    private static func version(_ bytes: UnsafeRawBufferPointer, at index: inout Int) throws(HTTPRequestRefusal) -> HTTPVersion {
        guard bytes.count - index >= 10, UnsafeRawBufferPointer(rebasing: bytes[index..<(index + 5)]).equals("HTTP/") else { throw .requestLine }
        let major = bytes[index + 5]
        let dot = bytes[index + 6]
        let minor = bytes[index + 7]
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(major), dot == UInt8(ascii: "."),
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(minor)
        else { throw .requestLine }
        guard bytes[index + 8] == HTTPBytes.cr else { throw .requestLine }
        guard bytes[index + 9] == HTTPBytes.lf else { throw .lineEnding }
        guard major == UInt8(ascii: "1"), minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else { throw .version }
        index += 10
        return minor == UInt8(ascii: "1") ? .http1_1 : .http1_0
    }

    /// The method, without a string for the two the front serves.
    private static func method(_ bytes: UnsafeRawBufferPointer) -> HTTPMethod {
        if bytes.equals("GET") { return .GET }
        if bytes.equals("HEAD") { return .HEAD }
        return HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self))
    }

    /// A `Content-Length`: digits only, at most 18 of them (no sign, no list, no overflow).
    private static func decimal(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard (1...18).contains(bytes.count) else { return nil }
        var value = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Whether the last coding of a `Transfer-Encoding` list is `chunked`.
    private static func endsWithChunked(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var lastIsChunked = false
        HTTPBytes.forEachListElement(bytes) { lastIsChunked = HTTPBytes.equalsIgnoringCase($0, "chunked") }
        return lastIsChunked
    }

    /// A chunk-size line without its CRLF: 1 to 15 hex digits, then nothing, or an extension
    /// (`;` after optional blanks, then visible bytes and blanks). Nil when malformed.
    static func chunkSize(_ bytes: UnsafeRawBufferPointer) -> Int? {
        var size = 0
        var index = 0
        while index < bytes.count, let digit = bytes[index].hexValue {
            guard index < 15 else { return nil }
            size = size << 4 | Int(digit)
            index += 1
        }
        guard index > 0 else { return nil }
        guard index < bytes.count else { return size }
        // Blanks only before an extension's `;` (BWS), never alone after the size.
        while index < bytes.count, HTTPBytes.isBlank(bytes[index]) { index += 1 }
        guard index < bytes.count, bytes[index] == HTTPBytes.semicolon else { return nil }
        while index < bytes.count {
            guard HTTPBytes.isFieldValue(bytes[index]) else { return nil }
            index += 1
        }
        return size
    }
}
