import NIOCore
import RedisWire
import Testing

@Suite("Command encoding through hiredis")
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
