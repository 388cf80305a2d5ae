import CHiredis
public import NIOCore

/// Encodes Redis commands in RESP with hiredis' `redisFormatCommandArgv`, straight into a
/// `ByteBuffer`, so that the wire format is hiredis' and never hand-rolled here.
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
        // hiredis reads `length` bytes from each pointer; an empty argument still needs a valid one.
        let emptyArgument = UnsafeRawPointer(("" as StaticString).utf8Start)
        withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: arguments.count) { argv in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: arguments.count) { lengths in
                for (index, argument) in arguments.enumerated() {
                    let base = argument.baseAddress ?? emptyArgument
                    argv[index] = base.assumingMemoryBound(to: CChar.self)
                    lengths[index] = argument.count
                }
                var formatted: UnsafeMutablePointer<CChar>?
                let length = redisFormatCommandArgv(
                    &formatted,
                    Int32(arguments.count),
                    UnsafeMutablePointer(mutating: argv.baseAddress!),
                    lengths.baseAddress!
                )
                guard length > 0, let formatted else {
                    // hiredis only fails when it cannot allocate; there is nothing sensible left to do.
                    fatalError("redisFormatCommandArgv failed to allocate")
                }
                defer { redisFreeCommand(formatted) }
                buffer.writeBytes(UnsafeRawBufferPointer(start: formatted, count: Int(length)))
            }
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
