/// The `wait` preference of RFC 7240 `Prefer` headers: `Prefer: wait=10` (also among other
/// preferences, `Prefer: respond-async, wait=10`). Anything unparsable is ignored, as the RFC
/// asks of a server that does not understand a preference.
enum PreferHeader {
    /// The requested wait in whole seconds, saturated at `Int32.max`; nil when none is stated.
    static func wait(in values: [String]) -> Int? {
        for value in values {
            for preference in value.split(separator: ",") {
                let parameters = preference.split(separator: ";", maxSplits: 1)
                guard let first = parameters.first else { continue }
                let pair = first.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingBlanks().lowercased() == "wait" else { continue }
                var number = pair[1].trimmingBlanks()
                if number.count >= 2, number.first == "\"", number.last == "\"" {
                    number = number.dropFirst().dropLast()
                }
                guard !number.isEmpty, number.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { continue }
                return number.utf8.reduce(0) { min($0 * 10 + Int($1 - UInt8(ascii: "0")), Int(Int32.max)) }
            }
        }
        return nil
    }
}
