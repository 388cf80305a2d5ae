import NIOCore
import RedisWire
import Testing

@Suite("Reply reading")
struct RedisReplyReaderTests {
    private func replies(feeding chunks: [String]) throws -> [RESPValue] {
        let reader = RedisReplyReader()
        var values: [RESPValue] = []
        for chunk in chunks {
            reader.feed(ByteBuffer(string: chunk))
            try reader.drainReplies { values.append($0.value) }
        }
        return values
    }

    @Test("every reply kind")
    func kinds() throws {
        let values = try self.replies(feeding: ["+OK\r\n-ERR bad\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\na\r\n$-1\r\n*-1\r\n"])
        #expect(
            values == [
                .simpleString("OK"), .error("ERR bad"), .integer(42), .bulkString(Array("abc".utf8)), .null,
                .array([.bulkString([UInt8(ascii: "a")]), .null]), .null,
            ]
        )
    }

    @Test("a reply split at every byte boundary comes out whole, once")
    func splitReplies() throws {
        let wire = "*3\r\n$6\r\nstatus\r\n$-1\r\n*1\r\n:7\r\n"
        for split in 1..<wire.utf8.count {
            let bytes = Array(wire.utf8)
            let chunks = [String(decoding: bytes[..<split], as: UTF8.self), String(decoding: bytes[split...], as: UTF8.self)]
            let values = try self.replies(feeding: chunks)
            #expect(values == [.array([.bulkString(Array("status".utf8)), .null, .array([.integer(7)])])], "split at \(split)")
        }
    }

    @Test("pipelined replies in one read come out in order")
    func pipelined() throws {
        let wire = String(repeating: "$2\r\nok\r\n:1\r\n", count: 500)
        let values = try self.replies(feeding: [wire])
        #expect(values.count == 1000)
        #expect(values[998] == .bulkString(Array("ok".utf8)))
        #expect(values[999] == .integer(1))
    }

    @Test("binary payloads are kept byte for byte")
    func binary() throws {
        let values = try self.replies(feeding: ["$4\r\n\u{0}\r\n\u{1}\r\n"])
        #expect(values == [.bulkString([0, 13, 10, 1])])
    }

    @Test("bytes that are not RESP are a protocol violation")
    func protocolViolation() {
        #expect(throws: RedisError.self) {
            try self.replies(feeding: ["?what\r\n"])
        }
    }

    @Test("the borrowed view reads arrays in place")
    func borrowedView() throws {
        let reader = RedisReplyReader()
        reader.feed(ByteBuffer(string: "*3\r\n$7\r\npending\r\n$-1\r\n:3\r\n"))
        var checked = false
        try reader.drainReplies { reply in
            #expect(reply.kind == .array)
            #expect(reply.count == 3)
            #expect(reply[0].bytesEqual("pending"))
            #expect(reply[1].isNull)
            #expect(reply[2].integer == 3)
            checked = true
        }
        #expect(checked)
    }
}
