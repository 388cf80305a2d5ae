import JobStatusCore
import Testing

@Suite("Strict JSON checking")
struct JSONScannerTests {
    @Test(
        "valid documents, agreeing with Foundation",
        arguments: [
            #"{}"#, #"[]"#, #"  {"a" : [1, -2.5e+3, true, false, null, "x"]}  "#, #""just a string""#, "0", "-0.0E-1",
            #"{"nested":{"deeper":[[[{}]]]}}"#, #""\u00e9\n\t\"\\\/""#, #""é 日本 🎉""#, #"[{"entity":"a","href":"b"}]"#,
            "1e308", "-1.7976931348623157e308", "1e-400", String(repeating: "9", count: 299),
        ]
    )
    func valid(text: String) {
        #expect(JSONScanner.validate(text) != nil)
        #expect(parsedJSON(text) != nil)
    }

    @Test(
        "invalid documents (numbers beyond a double's range too: RFC 8259 §6, and clients fail on them)",
        arguments: [
            "", " ", "{", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, #"{a:1}"#, "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
            #""unterminated"#, "\"tab\tinside\"", #""\x""#, #""\u12""#, "[1] [2]", "{} x", "NaN", "[1 2]", #"{"a":}"#,
            "0x10", "Infinity", "-01", "5e65655", "[1, -2e308]", String(repeating: "9", count: 400),
        ]
    )
    func invalid(text: String) {
        #expect(JSONScanner.validate(text) == nil)
    }

    @Test("a string's plain runs are skipped eight bytes at a time: whatever ends a run, at any offset of any word, is still seen")
    func wordwiseRuns() {
        // Each byte that ends a plain run, alone or as part of what follows it.
        let enders: [[UInt8]] = [
            [0x00], [0x01], [0x1F], [0x7F], [0x80], [0xFF], [0xC3, 0xA9], [0xF0, 0x9F, 0x8E, 0x89],
            // an escaped quote, an escaped backslash, \n, \u00e9, a bad escape, a bare quote
            [0x5C, 0x22], [0x5C, 0x5C], [0x5C, 0x6E], [0x5C, 0x75, 0x30, 0x30, 0x65, 0x39], [0x5C, 0x71],
            [0x22], [0x20], [0x7E],
        ]
        var disagreements: [String] = []
        for prefix in 0..<20 {
            for ender in enders {
                for suffix in [0, 1, 9] {
                    let plain = { (count: Int) in (0..<count).map { UInt8(ascii: "a") + UInt8($0 % 26) } }
                    let document = [UInt8(ascii: "\"")] + plain(prefix) + ender + plain(suffix) + [UInt8(ascii: "\"")]
                    let scanned = document.withUnsafeBytes { JSONScanner.validate($0) } != nil
                    let parsed = parsedJSON(String(decoding: document, as: UTF8.self)) != nil && String(validating: document, as: UTF8.self) != nil
                    if scanned != parsed { disagreements.append("\(prefix) \(ender) \(suffix): scanner \(scanned), Foundation \(parsed)") }
                }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements)")
    }

    @Test("invalid UTF-8 inside strings is refused")
    func invalidUTF8() {
        let cases: [[UInt8]] = [
            [0x22, 0xC3, 0x22],  // truncated two-byte sequence
            [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-16 surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xFF, 0x22],
        ]
        for bytes in cases {
            #expect(bytes.withUnsafeBytes { JSONScanner.validate($0) } == nil, "\(bytes)")
        }
    }

    @Test("kinds of top-level values")
    func kinds() {
        #expect(JSONScanner.validate(#"{"a":[]}"#) == .object)
        #expect(JSONScanner.validate(#"[{}]"#) == .array)
        #expect(JSONScanner.validate(#""s""#) == .string)
        #expect(JSONScanner.validate("12") == .number)
        #expect(JSONScanner.validate("null") == .literal)
    }

    @Test("nesting is bounded, without recursion")
    func depth() {
        let deepest = String(repeating: "[", count: JSONScanner.maximumDepth) + String(repeating: "]", count: JSONScanner.maximumDepth)
        #expect(JSONScanner.validate(deepest) == .array)
        let tooDeep = "[" + deepest + "]"
        #expect(JSONScanner.validate(tooDeep) == nil)
        let hostile = String(repeating: "[", count: 100_000)
        #expect(JSONScanner.validate(hostile) == nil)
    }

    @Test("an error object's own levels count towards the bound, so its served depth is bounded too")
    func errorObjectDepth() {
        func nested(_ levels: Int) -> String { String(repeating: "[", count: levels) + String(repeating: "]", count: levels) }
        // error 1, invalid 2, entry 3, rules 4, rule 5: a rule's member has the rest.
        let inRule = { (levels: Int) in
            #"{"type":"t","message":"m","invalid":[{"entry_type":"x","entry":"e","rules":[{"rule":"r","params":"# + nested(levels) + "}]}]}"
        }
        // An entry's own member, inside levels 1 to 3.
        let inEntry = { (levels: Int) in
            #"{"type":"t","message":"m","invalid":[{"entry_type":"x","entry":"e","rules":[{"rule":"r"}],"extra":"# + nested(levels) + "}]}"
        }
        let most = JSONScanner.maximumDepth
        #expect(withBytes(inRule(most - 5)) { JSONScanner.isErrorObject($0, requiringInvalid: true) })
        #expect(!withBytes(inRule(most - 4)) { JSONScanner.isErrorObject($0, requiringInvalid: true) })
        #expect(withBytes(inEntry(most - 3)) { JSONScanner.isErrorObject($0) })
        #expect(!withBytes(inEntry(most - 2)) { JSONScanner.isErrorObject($0) })
        #expect(!withBytes(inRule(1000)) { JSONScanner.isErrorObject($0) })
    }

    @Test("links arrays: exactly entity and href, both strings")
    func links() {
        let good = [#"[{"entity":"a","href":"/b"}]"#, #" [ { "href" : "/b" , "entity" : "a" } , {"entity":"c","href":"d"} ] "#]
        let bad = [
            #"[]"#, #" [ ] "#, #"{}"#, #"[1]"#, #"[{"entity":"a"}]"#, #"[{"entity":"a","href":1}]"#, #"[{"entity":"a","href":"b","x":1}]"#,
            #"[{"entity":"a","entity":"a","href":"b"}]"#, #"[{"entity":"a","href":"b"}"#, #"[{"entity":"a","href":"b"},]"#,
        ]
        for text in good {
            #expect(withBytes(text) { JSONScanner.firstLinkHref($0) != nil }, "\(text)")
        }
        for text in bad {
            #expect(withBytes(text) { JSONScanner.firstLinkHref($0) == nil }, "\(text)")
        }
    }

    @Test("error objects: string type and message, optionally the validation list; nothing else")
    func errorObjects() {
        let invalid = #"[{"entry_type":"json_data_property","entry":"$.cvv","rules":[{"rule":"required","params":[],"description":"d"}]}]"#
        let good = [
            #"{"type":"request_conflict","message":"m"}"#, #" { "message" : "m" , "type" : "t" } "#,
            #"{"type":"validation_failed","message":"m","invalid":"# + invalid + "}",
            #"{"type":"t","message":"m","invalid":[{"entry":"e","rules":[{"rule":"r"}],"entry_type":"x","extra":[1,{"a":2}]}]}"#,
        ]
        let bad = [
            #""text""#, #"{}"#, #"{"type":"t"}"#, #"{"message":"m"}"#, #"{"type":1,"message":"m"}"#,
            #"{"type":"t","message":"m","code":1}"#, #"{"type":"t","type":"t","message":"m"}"#,
            #"{"type":"t","message":"m","invalid":[]}"#, #"{"type":"t","message":"m","invalid":{}}"#,
            #"{"type":"t","message":"m","invalid":[{"entry":"e","rules":[{"rule":"r"}]}]}"#,
            #"{"type":"t","message":"m","invalid":[{"entry_type":"x","entry":"e","rules":[]}]}"#,
            #"{"type":"t","message":"m","invalid":[{"entry_type":"x","entry":"e","rules":[{"params":[]}]}]}"#,
            #"{"type":"t","message":"m"} x"#, #"{"type":"t","message":"m""#,
        ]
        for text in good {
            #expect(withBytes(text) { JSONScanner.isErrorObject($0) }, "\(text)")
        }
        for text in bad {
            #expect(!withBytes(text) { JSONScanner.isErrorObject($0) }, "\(text)")
        }
    }

    @Test("the first link's href")
    func firstHref() {
        let text = #"[{"href":"/api/patients/1","entity":"patient"},{"entity":"x","href":"/y"}]"#
        let href = withBytes(text) { JSONScanner.firstLinkHref($0).map { String(decoding: $0, as: UTF8.self) } }
        #expect(href == "/api/patients/1")
        let broken = #"[{"href":"/api/patients/1","entity":"patient"},{"entity":"x"}]"#
        #expect(withBytes(broken) { JSONScanner.firstLinkHref($0) } == nil, "a later link that breaks the array")
        #expect(withBytes("[]") { JSONScanner.firstLinkHref($0) } == nil)
    }
}
