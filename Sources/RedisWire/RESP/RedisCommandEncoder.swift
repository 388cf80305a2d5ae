public import NIOCore

/// Encodes Redis commands in RESP (an array of bulk strings) straight into a `ByteBuffer`.
///
/// Written here rather than through hiredis' `redisFormatCommandArgv`, which formats every length
/// with `sprintf` into a `malloc`ed buffer that is then copied (1.4 % of the poll's profile in
/// `vfprintf` alone): RESP's request form is four lines of grammar, and the tests hold this
/// encoder to hiredis' output byte for byte, on fixed and on random commands.
///
/// The pointer-based entry point lets the hot path encode a command from bytes it already has
/// (a key prefix, an id taken from the request URI) without building Swift arrays or strings.
public enum RedisCommandEncoder {
    /// Appends one command whose arguments are the given byte ranges.
    ///
    /// The memory behind `arguments` only has to live for the duration of the call.
    public static func encode(
        arguments: UnsafeBufferPointer<UnsafeRawBufferPointer>,
        into buffer: inout ByteBuffer
    ) {
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        // `*` count CRLF, then `$` length CRLF bytes CRLF per argument; a count has at most 19 digits.
        var size = 1 + 19 + 2
        for argument in arguments {
            size += 1 + 19 + 2 + argument.count + 2
        }
        // One write into the buffer's memory: a `writeInteger` per token would check the
        // buffer's uniqueness and capacity some fifty times per poll.
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { memory in
            var offset = 0
            func put(_ byte: UInt8) {
                memory[offset] = byte
                offset += 1
            }
            func putLine(_ marker: UInt8, _ value: Int) {
                put(marker)
                if value < 10 {
                    put(UInt8(ascii: "0") + UInt8(value))
                } else {
                    var digits = 0
                    var rest = value
                    while rest > 0 {
                        digits += 1
                        rest /= 10
                    }
                    rest = value
                    for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                        memory[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                        rest /= 10
                    }
                    offset += digits
                }
                put(UInt8(ascii: "\r"))
                put(UInt8(ascii: "\n"))
            }
            putLine(UInt8(ascii: "*"), arguments.count)
            for argument in arguments {
                putLine(UInt8(ascii: "$"), argument.count)
                if let base = argument.baseAddress, !argument.isEmpty {
                    (memory.baseAddress! + offset).copyMemory(from: base, byteCount: argument.count)
                    offset += argument.count
                }
                put(UInt8(ascii: "\r"))
                put(UInt8(ascii: "\n"))
            }
            return offset
        }
    }

    /// Appends one command given as strings: the convenient form for everything off the hot path.
    public static func encode(_ arguments: [String], into buffer: inout ByteBuffer) {
        self.encode(bytes: arguments.map { Array($0.utf8) }, into: &buffer)
    }

    /// Appends one command whose arguments are any bytes (Redis strings are binary).
    public static func encode(bytes arguments: [[UInt8]], into buffer: inout ByteBuffer) {
        var joined: [UInt8] = []
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(arguments.count)
        for argument in arguments {
            let start = joined.count
            joined.append(contentsOf: argument)
            ranges.append(start..<joined.count)
        }
        joined.withUnsafeBytes { all in
            let parts = ranges.map { UnsafeRawBufferPointer(rebasing: all[$0]) }
            parts.withUnsafeBufferPointer { encode(arguments: $0, into: &buffer) }
        }
    }
}
