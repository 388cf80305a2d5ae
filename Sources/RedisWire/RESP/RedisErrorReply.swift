/// An error reply, parsed once: the code (its first word) and the text. Everything above the
/// wire decides by `code`; nothing matches `WRONGTYPE` or `LOADING` by string.
public struct RedisErrorReply: Sendable, Equatable, CustomStringConvertible {
    public let code: RedisErrorCode
    /// The whole reply, code included, as Redis sent it.
    public let message: String

    public init(code: RedisErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    /// Parses a reply's text: `CODE rest of the message`.
    public init(_ message: String) {
        var message = message
        let code = message.withUTF8 { RedisErrorCode(firstWordOf: UnsafeRawBufferPointer($0)) }
        self.init(code: code, message: message)
    }

    /// The message after its code.
    public var detail: Substring {
        let text = self.message[...]
        guard let space = text.firstIndex(of: " ") else { return text[text.endIndex...] }
        return text[text.index(after: space)...].drop { $0 == " " }
    }

    public var description: String { self.message }
}

/// The code of an error reply. The ones the client acts on are named; every other code (a
/// script's own among them, `WriteScript.ErrorCode`) is `other`.
public enum RedisErrorCode: Hashable, Sendable {
    case err
    case wrongType
    /// The server is loading its dataset: a replica that cannot serve reads yet.
    case loading
    case moved
    case ask
    /// A write, or a read without `READONLY`, sent to a replica.
    case readOnly
    case noScript
    case noAuth
    case wrongPass
    case noPerm
    case busy
    case clusterDown
    case tryAgain
    case masterDown
    case other(String)

    private static let named: [(String, RedisErrorCode)] = [
        ("ERR", .err), ("WRONGTYPE", .wrongType), ("LOADING", .loading), ("MOVED", .moved), ("ASK", .ask),
        ("READONLY", .readOnly), ("NOSCRIPT", .noScript), ("NOAUTH", .noAuth), ("WRONGPASS", .wrongPass),
        ("NOPERM", .noPerm), ("BUSY", .busy), ("CLUSTERDOWN", .clusterDown), ("TRYAGAIN", .tryAgain),
        ("MASTERDOWN", .masterDown),
    ]

    /// The code at the start of an error reply's bytes; allocates only for a code not named above.
    public init(firstWordOf bytes: UnsafeRawBufferPointer) {
        let word = UnsafeRawBufferPointer(rebasing: bytes.prefix { $0 != UInt8(ascii: " ") })
        for (name, code) in Self.named where name.utf8.elementsEqual(word) {
            self = code
            return
        }
        self = .other(String(decoding: word, as: UTF8.self))
    }

    /// The code as Redis writes it.
    public var name: String {
        if case .other(let name) = self { return name }
        return Self.named.first { $0.1 == self }?.0 ?? ""
    }
}

extension RedisReply {
    /// The code of an error reply; nil for every other kind.
    public var errorCode: RedisErrorCode? {
        self.kind == .error ? RedisErrorCode(firstWordOf: self.bytes) : nil
    }
}
