/// The trace id of a W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/),
/// for the logs: every line about a request carries it as `trace_id`, beside `request_id`, so a
/// request can be followed from the gateway's traces into this service's logs.
///
/// `version "-" trace-id "-" parent-id "-" trace-flags`, lowercase hex: version 2 digits and never
/// `ff`; trace-id 32 digits, parent-id 16, neither all zeros; flags 2. Version `00` is exactly that
/// (55 characters); a later version may append `-` and more, which is ignored (the spec's rule for
/// versions it does not know). Anything else is no trace: the header is ignored, never an error.
enum TraceParent {
    /// The trace id, or nil when the value is not a valid `traceparent`.
    static func traceID(_ value: String) -> Substring? {
        let utf8 = value.utf8
        guard utf8.count >= 55 else { return nil }
        var bytes = Array(utf8.prefix(56))
        if bytes.count == 56 {
            // Only a later version may continue, and only after a dash.
            guard bytes[55] == UInt8(ascii: "-") else { return nil }
            bytes.removeLast()
        }
        let version = bytes[0..<2]
        guard Self.isHex(version), !version.elementsEqual("ff".utf8), bytes[2] == UInt8(ascii: "-"),
            Self.isHex(bytes[3..<35]), bytes[35] == UInt8(ascii: "-"),
            Self.isHex(bytes[36..<52]), bytes[52] == UInt8(ascii: "-"),
            Self.isHex(bytes[53..<55])
        else { return nil }
        if version.elementsEqual("00".utf8), utf8.count != 55 { return nil }
        guard !Self.isZero(bytes[3..<35]), !Self.isZero(bytes[36..<52]) else { return nil }
        let start = value.index(value.startIndex, offsetBy: 3)
        return value[start..<value.index(start, offsetBy: 32)]
    }

    private static func isHex(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }

    private static func isZero(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == UInt8(ascii: "0") }
    }
}
