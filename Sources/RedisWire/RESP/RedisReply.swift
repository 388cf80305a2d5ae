import CHiredis

/// A borrowed view of one reply parsed by hiredis.
///
/// The view is only valid inside the `RedisReplyReceiver.receive(_:)` call that hands it out: the
/// connection frees the hiredis reply object right after. Reading it in place is what lets the
/// front turn a reply into an HTTP response without copying the fields into Swift values first;
/// call `value` when an owned copy is needed.
public struct RedisReply {
    /// The RESP2 reply kinds that hiredis 0.14 produces.
    public enum Kind: Sendable, Equatable {
        case bulkString
        case array
        case integer
        case null
        case simpleString
        case error
    }

    private let pointer: UnsafePointer<redisReply>

    init(_ pointer: UnsafePointer<redisReply>) {
        self.pointer = pointer
    }

    public var kind: Kind {
        switch self.pointer.pointee.type {
        case REDIS_REPLY_STRING: .bulkString
        case REDIS_REPLY_ARRAY: .array
        case REDIS_REPLY_INTEGER: .integer
        case REDIS_REPLY_STATUS: .simpleString
        case REDIS_REPLY_ERROR: .error
        default: .null
        }
    }

    /// True for a null bulk string or null array.
    public var isNull: Bool { self.kind == .null }

    /// The payload of a bulk string, simple string or error; empty for other kinds.
    public var bytes: UnsafeRawBufferPointer {
        switch self.kind {
        case .bulkString, .simpleString, .error:
            UnsafeRawBufferPointer(start: self.pointer.pointee.str, count: self.pointer.pointee.len)
        case .array, .integer, .null:
            UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }

    /// The value of an integer reply; zero for other kinds.
    public var integer: Int64 {
        self.kind == .integer ? self.pointer.pointee.integer : 0
    }

    /// The number of elements of an array reply; zero for other kinds.
    public var count: Int {
        self.kind == .array ? self.pointer.pointee.elements : 0
    }

    /// The element at `index` of an array reply.
    public subscript(index: Int) -> RedisReply {
        precondition(index >= 0 && index < self.count, "reply element \(index) out of range")
        return RedisReply(UnsafePointer(self.pointer.pointee.element[index]!))
    }

    /// The payload decoded as UTF-8 text (invalid sequences become U+FFFD).
    public var string: String {
        String(decoding: self.bytes, as: UTF8.self)
    }

    /// Whether the payload equals `text` byte for byte, without creating a `String`.
    public func bytesEqual(_ text: StaticString) -> Bool {
        let payload = self.bytes
        guard payload.count == text.utf8CodeUnitCount else { return false }
        return payload.elementsEqual(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// An owned copy of the reply, safe to keep after the callback returns.
    public var value: RESPValue {
        switch self.kind {
        case .bulkString: .bulkString(Array(self.bytes))
        case .simpleString: .simpleString(self.string)
        case .error: .error(self.string)
        case .integer: .integer(self.integer)
        case .null: .null
        case .array: .array((0..<self.count).map { self[$0].value })
        }
    }
}
