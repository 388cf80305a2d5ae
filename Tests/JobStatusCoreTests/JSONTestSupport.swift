import Foundation
import NIOCore

/// Parses JSON text with Foundation, the independent judge of what is valid JSON.
func parsedJSON(_ text: String) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

/// Whether two JSON texts denote the same value (key order and whitespace ignored).
func jsonEqual(_ lhs: String, _ rhs: String) -> Bool {
    guard let left = parsedJSON(lhs), let right = parsedJSON(rhs) else { return false }
    return NSDictionary(dictionary: ["v": left]).isEqual(to: ["v": right])
}

/// Levels of nesting of a parsed JSON value: 0 for a scalar, 1 for `[]` or `{}`.
func jsonDepth(_ value: Any) -> Int {
    if let array = value as? [Any] { return 1 + (array.map(jsonDepth).max() ?? 0) }
    if let object = value as? [String: Any] { return 1 + (object.values.map(jsonDepth).max() ?? 0) }
    return 0
}

func withBytes<Result>(_ text: String, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    var text = text
    return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}

/// Whether JSON text denotes `value` (key order and whitespace ignored).
func jsonEqual(_ text: String, _ value: Any) -> Bool {
    guard let parsed = parsedJSON(text) else { return false }
    return NSDictionary(dictionary: ["v": parsed]).isEqual(to: ["v": value])
}
