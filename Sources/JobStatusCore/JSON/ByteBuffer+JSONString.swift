public import NIOCore

extension ByteBuffer {
    /// Writes `bytes` as a JSON string literal, quotes included.
    ///
    /// Quotes, backslashes and control characters are escaped; bytes that are not valid UTF-8
    /// become U+FFFD, so whatever a record holds, the output is valid JSON. Text that needs no
    /// escaping (the common case) is copied in one piece.
    public mutating func writeJSONString(_ bytes: UnsafeRawBufferPointer) {
        self.writeInteger(UInt8(ascii: "\""))
        self.writeJSONStringContents(bytes)
        self.writeInteger(UInt8(ascii: "\""))
    }

    /// Writes `bytes` escaped as the inside of a JSON string literal, without the quotes, so
    /// that several pieces can form one literal.
    public mutating func writeJSONStringContents(_ bytes: UnsafeRawBufferPointer) {
        var runStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte < 0x80 {
                index += 1
                continue
            }
            if byte >= 0x80, let length = UTF8Validation.sequenceLength(in: bytes, at: index) {
                index += length
                continue
            }
            self.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            self.writeJSONEscape(for: byte)
            index += 1
            runStart = index
        }
        self.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
    }

    /// Writes `text` as a JSON string literal, quotes included.
    public mutating func writeJSONString(_ text: String) {
        var text = text
        text.withUTF8 { self.writeJSONString(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `text` escaped as the inside of a JSON string literal, without the quotes.
    public mutating func writeJSONStringContents(_ text: String) {
        var text = text
        text.withUTF8 { self.writeJSONStringContents(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `text` escaped as the inside of a JSON string literal, without the quotes.
    public mutating func writeJSONStringContents(_ text: Substring) {
        var text = text
        text.withUTF8 { self.writeJSONStringContents(UnsafeRawBufferPointer($0)) }
    }

    private mutating func writeJSONEscape(for byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): self.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): self.writeStaticString("\\\\")
        case 0x0A: self.writeStaticString("\\n")
        case 0x0D: self.writeStaticString("\\r")
        case 0x09: self.writeStaticString("\\t")
        case 0x08: self.writeStaticString("\\b")
        case 0x0C: self.writeStaticString("\\f")
        case 0x00..<0x20:
            let hex: StaticString = "0123456789abcdef"
            self.writeStaticString("\\u00")
            self.writeInteger(hex.utf8Start[Int(byte >> 4)])
            self.writeInteger(hex.utf8Start[Int(byte & 0x0F)])
        default:
            // A byte that does not start a valid UTF-8 sequence.
            self.writeStaticString("\\ufffd")
        }
    }
}
