/// The RESP2 reply grammar, parsed in place and resumably: the elements of the reply being read
/// go into a flat table of offsets into its bytes (reused from reply to reply, so a reply costs
/// no allocation), and a reply cut short by the end of a read is taken up again where it stopped
/// when more bytes arrive, so a large reply arriving in many reads is parsed once.
///
/// A value: `parse` takes the bytes received since the reply's first byte and says whether the
/// reply is complete and how long it is. hiredis parsed replies before; it is the oracle of this
/// grammar in the tests (`RedisReplyParserTests`), and its limits are kept: arrays nested at most
/// 7 deep under the reply's own, a bulk string of at most 512 MiB (Redis' `proto-max-bulk-len`).
struct RedisReplyParser {
    static let maximumNesting = 8
    static let maximumBulkLength = 512 * 1024 * 1024
    /// The longest header, simple string or error line: a peer that sends a line without end is
    /// refused once it is this long, not buffered without bound.
    static let maximumLineLength = 64 * 1024

    /// The reply's elements so far, in pre-order (`RedisReply.Element`).
    private(set) var elements: [RedisReply.Element] = []
    /// The arrays still open, innermost last: their index in `elements`, and how many of their
    /// elements are still to come.
    private var open: [(element: Int, remaining: Int)] = []
    /// Where the next element starts, from the reply's first byte.
    private var cursor = 0

    /// Parses what `bytes` (from the reply's first byte on) add to the reply; returns its length
    /// once it is complete, nil while bytes are missing.
    mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(RedisError) -> Int? {
        while true {
            guard self.cursor < bytes.count else { return nil }
            guard let lineEnd = Self.lineEnd(in: bytes, from: self.cursor + 1) else {
                guard bytes.count - self.cursor <= Self.maximumLineLength else {
                    throw .protocolViolation("a reply line longer than \(Self.maximumLineLength) bytes")
                }
                return nil
            }
            let lineStart = self.cursor + 1
            guard lineEnd - lineStart <= Self.maximumLineLength else {
                throw .protocolViolation("a reply line longer than \(Self.maximumLineLength) bytes")
            }
            let next = lineEnd + 2
            switch bytes[self.cursor] {
            case UInt8(ascii: "+"):
                self.elements.append(.init(kind: .simpleString, offset: lineStart, length: lineEnd - lineStart))
            case UInt8(ascii: "-"):
                self.elements.append(.init(kind: .error, offset: lineStart, length: lineEnd - lineStart))
            case UInt8(ascii: ":"):
                let value = try Self.integer(in: bytes, from: lineStart, to: lineEnd)
                self.elements.append(.init(kind: .integer, integer: value))
            case UInt8(ascii: "$"):
                let length = try Self.integer(in: bytes, from: lineStart, to: lineEnd)
                if length == -1 {
                    self.elements.append(.init(kind: .null))
                    break
                }
                guard length >= 0, length <= Self.maximumBulkLength else {
                    throw .protocolViolation("a bulk string of \(length) bytes")
                }
                let payloadEnd = next + Int(length)
                // Not there yet: the header is read again then (a line, once per read).
                guard payloadEnd + 2 <= bytes.count else { return nil }
                guard bytes[payloadEnd] == UInt8(ascii: "\r"), bytes[payloadEnd + 1] == UInt8(ascii: "\n") else {
                    throw .protocolViolation("a bulk string longer than its length")
                }
                self.elements.append(.init(kind: .bulkString, offset: next, length: Int(length)))
                self.cursor = payloadEnd + 2
                if self.elementEnded() { return self.cursor }
                continue
            case UInt8(ascii: "*"):
                let count = try Self.integer(in: bytes, from: lineStart, to: lineEnd)
                if count == -1 {
                    self.elements.append(.init(kind: .null))
                    break
                }
                guard count >= 0, count <= Int64(Int32.max) else {
                    throw .protocolViolation("an array of \(count) elements")
                }
                self.elements.append(.init(kind: .array, length: Int(count)))
                guard count > 0 else { break }
                guard self.open.count < Self.maximumNesting else {
                    throw .protocolViolation("arrays nested deeper than \(Self.maximumNesting - 1)")
                }
                self.open.append((self.elements.count - 1, Int(count)))
                self.cursor = next
                continue
            case let other:
                throw .protocolViolation("\(Self.describe(other)) as a reply's type byte")
            }
            self.cursor = next
            if self.elementEnded() { return self.cursor }
        }
    }

    /// Forgets the reply, keeping the table's storage for the next one.
    mutating func reset() {
        self.elements.removeAll(keepingCapacity: true)
        self.open.removeAll(keepingCapacity: true)
        self.cursor = 0
    }

    /// The element just appended is complete: it and every array it completes end here. True when
    /// that completes the reply.
    private mutating func elementEnded() -> Bool {
        self.elements[self.elements.count - 1].end = self.elements.count
        while let innermost = self.open.last {
            if innermost.remaining > 1 {
                self.open[self.open.count - 1].remaining = innermost.remaining - 1
                return false
            }
            self.elements[innermost.element].end = self.elements.count
            self.open.removeLast()
        }
        return true
    }

    /// The index of the CR of the first CRLF at or after `start`.
    private static func lineEnd(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "\r") {
                if bytes[index + 1] == UInt8(ascii: "\n") { return index }
            }
            index += 1
        }
        return nil
    }

    /// A decimal integer, optionally negative, filling the line exactly.
    private static func integer(in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) throws(RedisError) -> Int64 {
        var index = start
        let negative = index < end && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard index < end else { throw .protocolViolation("an empty number in a reply") }
        var value: Int64 = 0
        while index < end {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw .protocolViolation("a number in a reply with \(Self.describe(bytes[index])) in it") }
            // Accumulated with its sign, so Int64.min, whose magnitude Int64 cannot hold, is read too.
            let (shifted, overflowed) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowedAgain) =
                negative ? shifted.subtractingReportingOverflow(Int64(digit)) : shifted.addingReportingOverflow(Int64(digit))
            guard !overflowed, !overflowedAgain else { throw .protocolViolation("a number in a reply out of range") }
            value = next
            index += 1
        }
        return value
    }

    private static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "\"\(Character(Unicode.Scalar(byte)))\"" : "byte \(byte)"
    }
}
