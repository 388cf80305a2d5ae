import CHiredis
import NIOCore
import RedisWire
import Testing

@Suite("Command encoding")
struct RedisCommandEncoderTests {
    @Test("a command becomes a RESP array of bulk strings")
    func encodesArray() {
        var buffer = ByteBuffer()
        RedisCommandEncoder.encode(["HMGET", "job:abc", "status"], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$5\r\nHMGET\r\n$7\r\njob:abc\r\n$6\r\nstatus\r\n")
    }

    @Test("empty arguments, CRLF and non-ASCII text survive byte for byte")
    func encodesAwkwardArguments() {
        var buffer = ByteBuffer()
        RedisCommandEncoder.encode(["SET", "", "a\r\nb ü"], into: &buffer)
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$7\r\na\r\nb ü\r\n")
    }

    @Test("consecutive commands append to the same buffer")
    func appends() {
        var buffer = ByteBuffer()
        RedisCommandEncoder.encode(["PING"], into: &buffer)
        RedisCommandEncoder.encode(["PING"], into: &buffer)
        #expect(String(buffer: buffer) == "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n")
    }
}

/// hiredis' `redisFormatCommandArgv` is the oracle the hand-written encoder is held to.
@Suite("Command encoding, against hiredis")
struct RedisCommandEncoderOracleTests {
    static func hiredis(_ arguments: [[UInt8]]) -> [UInt8] {
        var argv = arguments.map { argument -> UnsafeMutablePointer<CChar>? in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(argument.count, 1))
            argument.withUnsafeBytes { UnsafeMutableRawPointer(copy).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(copy), byteCount: argument.count) }
            return copy
        }
        defer { argv.forEach { $0?.deallocate() } }
        var lengths = arguments.map(\.count)
        var formatted: UnsafeMutablePointer<CChar>?
        let length = argv.withUnsafeMutableBufferPointer { argvBuffer in
            argvBuffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { constArgv in
                redisFormatCommandArgv(&formatted, Int32(arguments.count), constArgv.baseAddress!, &lengths)
            }
        }
        defer { redisFreeCommand(formatted) }
        return Array(UnsafeRawBufferPointer(start: formatted, count: Int(length)))
    }

    @Test("random commands (1 to 40 arguments of 0 to 300 bytes, any byte) encode exactly as hiredis formats them")
    func matchesHiredis() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let arguments = (0..<Int.random(in: 1...40, using: &generator)).map { _ in
                (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            }
            var buffer = ByteBuffer()
            RedisCommandEncoder.encode(bytes: arguments, into: &buffer)
            #expect(Array(buffer.readableBytesView) == Self.hiredis(arguments))
        }
    }

    @Test("lengths at every decimal width encode as hiredis formats them", arguments: [0, 1, 9, 10, 99, 100, 999, 1000, 65_535, 100_000])
    func lengths(length: Int) {
        let arguments = [Array("SET".utf8), Array(repeating: UInt8(ascii: "x"), count: length)]
        var buffer = ByteBuffer()
        RedisCommandEncoder.encode(bytes: arguments, into: &buffer)
        #expect(Array(buffer.readableBytesView) == Self.hiredis(arguments))
    }
}
