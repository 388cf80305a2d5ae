/// An owned Redis reply, for callers off the hot path (the writer API, the CLI, health checks).
public enum RESPValue: Sendable, Equatable, CustomStringConvertible {
    case simpleString(String)
    case bulkString([UInt8])
    case integer(Int64)
    case array([RESPValue])
    case error(String)
    case null

    /// The text of a bulk or simple string (UTF-8, invalid sequences replaced); nil otherwise.
    public var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The value of an integer reply, or of a string that holds a decimal integer.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulkString, .simpleString: self.string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The elements of an array reply; nil otherwise.
    public var array: [RESPValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// An array reply of names and values (`HGETALL`, `SENTINEL master`, each entry of
    /// `SENTINEL replicas`) as a dictionary; nil for any other reply.
    public var fields: [String: String]? {
        guard let elements = self.array else { return nil }
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: elements.count - 1, by: 2) {
            fields[elements[index].string ?? ""] = elements[index + 1].string ?? ""
        }
        return fields
    }

    public var description: String {
        switch self {
        case .simpleString(let text): return text
        case .bulkString: return "\"\(self.string ?? "")\""
        case .integer(let value): return "(integer) \(value)"
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case .error(let message): return "(error) \(message)"
        case .null: return "(nil)"
        }
    }
}
