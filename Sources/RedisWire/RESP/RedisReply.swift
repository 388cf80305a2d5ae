/// A borrowed view of one reply parsed by `RedisReplyReader`.
///
/// The view is only valid inside the `RedisReplyReceiver.receive(_:)` call that hands it out: it
/// points into the reader's bytes and its table of the reply's elements, both reused for the
/// next reply. Reading it in place is what lets the front turn a reply into an HTTP response
/// without copying the fields into Swift values first; call `value` when an owned copy is needed.
public struct RedisReply {
    /// The RESP2 reply kinds.
    public enum Kind: Sendable, Equatable {
        case bulkString
        case array
        case integer
        case null
        case simpleString
        case error
    }

    /// One element of a parsed reply, in a flat table in pre-order: an array's elements follow
    /// it, each followed by its own elements.
    struct Element {
        var kind: Kind
        /// Where a string's payload starts, from the start of the reply's bytes.
        var offset = 0
        /// A string's payload length, or an array's element count.
        var length = 0
        var integer: Int64 = 0
        /// The index in the table just past this element and everything inside it.
        var end = 0
    }

    private let elements: UnsafePointer<Element>
    private let index: Int
    private let bytesBase: UnsafeRawPointer?

    init(elements: UnsafePointer<Element>, index: Int, bytes: UnsafeRawPointer?) {
        self.elements = elements
        self.index = index
        self.bytesBase = bytes
    }

    public var kind: Kind { self.elements[self.index].kind }

    /// True for a null bulk string or null array.
    public var isNull: Bool { self.kind == .null }

    /// The payload of a bulk string, simple string or error; empty for other kinds.
    public var bytes: UnsafeRawBufferPointer {
        let element = self.elements[self.index]
        switch element.kind {
        case .bulkString, .simpleString, .error:
            return UnsafeRawBufferPointer(start: self.bytesBase.map { $0 + element.offset }, count: element.length)
        case .array, .integer, .null:
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
    }

    /// The value of an integer reply; zero for other kinds.
    public var integer: Int64 {
        let element = self.elements[self.index]
        return element.kind == .integer ? element.integer : 0
    }

    /// The number of elements of an array reply; zero for other kinds.
    public var count: Int {
        let element = self.elements[self.index]
        return element.kind == .array ? element.length : 0
    }

    /// The element at `index` of an array reply. Found by skipping the elements before it (and
    /// what they hold): replies are read front to back, and the front's are a few fields long.
    public subscript(index: Int) -> RedisReply {
        precondition(index >= 0 && index < self.count, "reply element \(index) out of range")
        var position = self.index + 1
        for _ in 0..<index {
            position = self.elements[position].end
        }
        return RedisReply(elements: self.elements, index: position, bytes: self.bytesBase)
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
        case .bulkString: return .bulkString(Array(self.bytes))
        case .simpleString: return .simpleString(self.string)
        case .error: return .error(self.string)
        case .integer: return .integer(self.integer)
        case .null: return .null
        case .array:
            var values: [RESPValue] = []
            values.reserveCapacity(self.count)
            var position = self.index + 1
            for _ in 0..<self.count {
                values.append(RedisReply(elements: self.elements, index: position, bytes: self.bytesBase).value)
                position = self.elements[position].end
            }
            return .array(values)
        }
    }
}
