import CHiredis
import NIOCore
import RedisTestSupport
import Testing

@testable import RedisWire

/// The hand-written reply parser is held to hiredis, which parsed the replies before it: random
/// replies of every kind, fed in random pieces, come out of both alike.
@Suite("Reply parsing, against hiredis")
struct RedisReplyParserTests {
    /// A random reply, at most `depth` arrays deep, and its bytes on the wire.
    static func randomReply(depth: Int, using generator: inout SeededGenerator) -> [UInt8] {
        let line = { (generator: inout SeededGenerator) -> [UInt8] in
            // Any byte but CR and LF: a simple string or an error is one line.
            (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                var byte = UInt8.random(in: 0...255, using: &generator)
                while byte == 13 || byte == 10 { byte = UInt8.random(in: 0...255, using: &generator) }
                return byte
            }
        }
        switch Int.random(in: 0..<(depth > 0 ? 8 : 6), using: &generator) {
        case 0: return Array("+".utf8) + line(&generator) + [13, 10]
        case 1: return Array("-".utf8) + line(&generator) + [13, 10]
        case 2:
            let value = [Int64.min, Int64.max, 0, -1, Int64.random(in: Int64.min...Int64.max, using: &generator)].randomElement(using: &generator)!
            return Array(":\(value)\r\n".utf8)
        case 3:
            let payload = (0..<Int.random(in: 0...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            return Array("$\(payload.count)\r\n".utf8) + payload + [13, 10]
        case 4: return Array("$-1\r\n".utf8)
        case 5: return Array("*-1\r\n".utf8)
        default:
            let count = Int.random(in: 0...6, using: &generator)
            return (0..<count).reduce(Array("*\(count)\r\n".utf8)) { wire, _ in
                wire + Self.randomReply(depth: depth - 1, using: &generator)
            }
        }
    }

    /// hiredis' replies to `wire`, fed whole.
    static func hiredis(_ wire: [UInt8]) -> [RESPValue] {
        let reader = redisReaderCreate()!
        defer { redisReaderFree(reader) }
        wire.withUnsafeBytes { bytes in
            _ = redisReaderFeed(reader, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        var values: [RESPValue] = []
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &raw) == REDIS_OK, let raw else { return values }
            values.append(Self.value(of: raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
    }

    private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RESPValue {
        let text = { String(decoding: UnsafeRawBufferPointer(start: reply.pointee.str, count: reply.pointee.len), as: UTF8.self) }
        switch reply.pointee.type {
        case REDIS_REPLY_STRING: return .bulkString(Array(UnsafeRawBufferPointer(start: reply.pointee.str, count: reply.pointee.len)))
        case REDIS_REPLY_STATUS: return .simpleString(text())
        case REDIS_REPLY_ERROR: return .error(text())
        case REDIS_REPLY_INTEGER: return .integer(reply.pointee.integer)
        case REDIS_REPLY_ARRAY: return .array((0..<reply.pointee.elements).map { Self.value(of: reply.pointee.element[$0]!) })
        default: return .null
        }
    }

    /// The reader's replies to `wire`, fed in pieces of the given sizes (the last one takes the rest).
    static func parsed(_ wire: [UInt8], pieces: [Int]) throws -> [RESPValue] {
        let reader = RedisReplyReader()
        var values: [RESPValue] = []
        var start = 0
        for size in pieces + [wire.count] where start < wire.count {
            let end = min(wire.count, start + size)
            reader.feed(ByteBuffer(bytes: wire[start..<end]))
            try reader.drainReplies { values.append($0.value) }
            start = end
        }
        return values
    }

    @Test("random replies (every kind, arrays 4 deep, any byte), fed in random pieces, parse as hiredis parses them")
    func matchesHiredis() throws {
        for seed in UInt64(1)...300 {
            var generator = SeededGenerator(seed: seed)
            let wire = (0..<Int.random(in: 1...20, using: &generator)).flatMap { _ in Self.randomReply(depth: 4, using: &generator) }
            let pieces = (0..<Int.random(in: 0...12, using: &generator)).map { _ in Int.random(in: 1...64, using: &generator) }
            let expected = Self.hiredis(wire)
            #expect(try Self.parsed(wire, pieces: pieces) == expected, "seed \(seed)")
            // And split at every byte: the worst a socket can do.
            if seed <= 20 {
                #expect(try Self.parsed(wire, pieces: Array(repeating: 1, count: wire.count)) == expected, "seed \(seed), byte by byte")
            }
        }
    }

    @Test("a large bulk string arriving in many reads comes out whole, once")
    func largeBulk() throws {
        var generator = SeededGenerator(seed: 7)
        let payload = (0..<1_048_576).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let wire = Array("*2\r\n$\(payload.count)\r\n".utf8) + payload + Array("\r\n:1\r\n".utf8)
        let values = try Self.parsed(wire, pieces: Array(repeating: 4096, count: wire.count / 4096))
        #expect(values == [.array([.bulkString(payload), .integer(1)])])
        #expect(values == Self.hiredis(wire))
    }

    @Test(
        "bytes that are not a RESP2 reply are a protocol violation",
        arguments: [
            "?what\r\n", "$-2\r\n", "$3\r\nabcd\r\n", ":12a\r\n", ":\r\n", ":-\r\n", ":99999999999999999999\r\n",
            "*-5\r\n", "*1\r\n" + String(repeating: "*1\r\n", count: 8) + ":1\r\n", "$536870913\r\n",
            "+" + String(repeating: "x", count: 65 * 1024), "%1\r\n", "_\r\n",
        ]
    )
    func refuses(wire: String) {
        let error = #expect(throws: RedisError.self) {
            try Self.parsed(Array(wire.utf8), pieces: [])
        }
        print("reply parser: \(wire.utf8.count) bytes starting \(String(wire.prefix(12)).debugDescription) refused: \(error.map { "\($0)" } ?? "not refused")")
    }

    @Test("arrays nested 7 deep under the reply's own, as hiredis allows, are read")
    func deepestNesting() throws {
        let wire = Array((String(repeating: "*1\r\n", count: 8) + ":1\r\n").utf8)
        var expected = RESPValue.integer(1)
        for _ in 0..<8 { expected = .array([expected]) }
        #expect(try Self.parsed(wire, pieces: []) == [expected])
        #expect(Self.hiredis(wire) == [expected])
    }
}
