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
        var size = 1 + 20 + 2
        for argument in arguments {
            size += 1 + 20 + 2 + argument.count + 2
        }
        buffer.reserveCapacity(minimumWritableBytes: size)
        buffer.writeInteger(UInt8(ascii: "*"))
        Self.writeDecimal(arguments.count, into: &buffer)
        for argument in arguments {
            buffer.writeInteger(UInt8(ascii: "$"))
            Self.writeDecimal(argument.count, into: &buffer)
            buffer.writeBytes(argument)
            buffer.writeInteger(Self.crlf)
        }
    }

    /// CR LF as one big-endian integer (`writeInteger`'s default byte order).
    private static let crlf: UInt16 = 0x0D0A

    /// A non-negative count in decimal, then CRLF.
    private static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        if value < 10 {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value))
        } else {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
                var rest = value
                var start = 20
                while rest > 0 {
                    start -= 1
                    digits[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(digits)[start...]))
            }
        }
        buffer.writeInteger(Self.crlf)
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
