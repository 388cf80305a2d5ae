public import NIOCore

/// Bytes written through one pointer into buffer memory reserved beforehand for at most a known
/// number of them (`ByteBuffer.writeBounded`).
///
/// An envelope or a response head is dozens of small pieces, and every `ByteBuffer.write…` call
/// checks uniqueness, capacity and exclusive access on its own: in the profile of the whole poll
/// those checks were a tenth of its user-space CPU. A writer here computes an upper bound of what
/// it writes (`maximumEscapedCount` for escaped text) and writes without checks but one: a write
/// past that bound traps, so a wrong bound can never write outside the memory reserved, and the
/// tests that write the worst case of each writer prove the bounds.
public struct BoundedOutput {
    @usableFromInline let start: UnsafeMutableRawPointer
    @usableFromInline let capacity: Int
    /// The bytes written so far.
    @usableFromInline var written = 0

    @inlinable init(start: UnsafeMutableRawPointer, capacity: Int) {
        self.start = start
        self.capacity = capacity
    }

    /// The most bytes `writeJSONStringContents` writes for `count` bytes of text: a control
    /// character becomes `\u00XX` and a byte that is not UTF-8 `\ufffd`, six bytes each.
    @inlinable public static func maximumEscapedCount(_ count: Int) -> Int { count * 6 }

    /// The most bytes `writeDecimal` writes.
    public static let maximumDecimalCount = 20

    @inlinable public mutating func write(byte: UInt8) {
        precondition(self.written < self.capacity, "BoundedOutput: the bound was too small")
        self.start.storeBytes(of: byte, toByteOffset: self.written, as: UInt8.self)
        self.written += 1
    }

    @inlinable public mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(bytes.count <= self.capacity - self.written, "BoundedOutput: the bound was too small")
        (self.start + self.written).copyMemory(from: base, byteCount: bytes.count)
        self.written += bytes.count
    }

    @inlinable public mutating func write(_ text: StaticString) {
        self.write(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Writes `text`'s UTF-8 verbatim.
    @inlinable public mutating func write(_ text: String) {
        let written: Void? = text.utf8.withContiguousStorageIfAvailable { self.write(UnsafeRawBufferPointer($0)) }
        if written == nil {
            for byte in text.utf8 { self.write(byte: byte) }
        }
    }

    /// Writes an integer in decimal.
    public mutating func writeDecimal(_ value: Int) {
        if value < 0 { self.write(byte: UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(byteCount: Self.maximumDecimalCount, alignment: 1) { scratch in
            var index = scratch.count
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            self.write(UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }

    /// Writes `bytes` as a JSON string literal, quotes included.
    public mutating func writeJSONString(_ bytes: UnsafeRawBufferPointer) {
        self.write(byte: UInt8(ascii: "\""))
        self.writeJSONStringContents(bytes)
        self.write(byte: UInt8(ascii: "\""))
    }

    /// Writes `text` as a JSON string literal, quotes included.
    public mutating func writeJSONString(_ text: String) {
        self.write(byte: UInt8(ascii: "\""))
        self.writeJSONStringContents(text)
        self.write(byte: UInt8(ascii: "\""))
    }

    /// Writes `text` (a `String` or a `Substring`) escaped as the inside of a JSON string
    /// literal, without the quotes: from its UTF-8 storage in place, or from a native copy of a
    /// text that has none (a bridged one).
    public mutating func writeJSONStringContents(_ text: some StringProtocol) {
        let written: Void? = text.utf8.withContiguousStorageIfAvailable { self.writeJSONStringContents(UnsafeRawBufferPointer($0)) }
        if written == nil {
            var copy = String(text)
            copy.withUTF8 { self.writeJSONStringContents(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Writes `bytes` escaped as the inside of a JSON string literal, without the quotes, so
    /// that several pieces can form one literal.
    ///
    /// Quotes, backslashes and control characters are escaped; bytes that are not valid UTF-8
    /// become U+FFFD, so whatever a record holds, the output is valid JSON. Runs that need no
    /// escaping (the common case: all of it) are copied in one piece.
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
            self.write(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
            self.writeJSONEscape(for: byte)
            index += 1
            runStart = index
        }
        self.write(UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
    }

    private mutating func writeJSONEscape(for byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): self.write("\\\"")
        case UInt8(ascii: "\\"): self.write("\\\\")
        case 0x0A: self.write("\\n")
        case 0x0D: self.write("\\r")
        case 0x09: self.write("\\t")
        case 0x08: self.write("\\b")
        case 0x0C: self.write("\\f")
        case 0x00..<0x20:
            let hex: StaticString = "0123456789abcdef"
            self.write("\\u00")
            self.write(byte: hex.utf8Start[Int(byte >> 4)])
            self.write(byte: hex.utf8Start[Int(byte & 0x0F)])
        default:
            // A byte that does not start a valid UTF-8 sequence.
            self.write("\\ufffd")
        }
    }
}

extension ByteBuffer {
    /// Appends what `body` writes, at most `maximumBytes` (see `BoundedOutput`; a write past
    /// them traps), through one pointer: one capacity and uniqueness check for the whole, not one
    /// per piece.
    @inlinable public mutating func writeBounded(maximumBytes: Int, _ body: (inout BoundedOutput) -> Void) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: max(1, maximumBytes)) { memory in
            // The bound, not the memory (often more): a writer whose bound is short traps in
            // every run that reaches it, not only when the buffer happens to be full.
            var output = BoundedOutput(start: memory.baseAddress!, capacity: maximumBytes)
            body(&output)
            return output.written
        }
    }
}
