/// A strict, allocation-free RFC 8259 checker over bytes.
///
/// The front emits the JSON fields of a record (`links`, `response_data`, `error`) verbatim, so it
/// must know they are valid JSON of the right shape first: a record written around the write
/// script must never make the server emit invalid JSON. Nesting is tracked in a fixed bit stack
/// (no recursion, no heap), which also bounds the depth.
public struct JSONScanner {
    /// The kind of a top-level JSON value.
    public enum Kind: Sendable, Equatable {
        case object, array, string, number, literal
    }

    /// The deepest nesting accepted in a stored field, here and in the write script (`MAX_DEPTH`),
    /// counting every level of the field, an error object's own included.
    ///
    /// The front serves a field inside its envelope (`EnvelopeWriter`): 2 levels more for a job
    /// (`{"data":{"response_data":…}}`) and 3 for an item of a job list (`{"data":[{…}]}`).
    /// Clients' parsers stop early (Ruby's JSON at 100 levels, serde_json at 128, Python's json
    /// from about 995), so no served document may nest deeper than 100: 100 − 3 = 97.
    public static let maximumDepth = 97

    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The kind of `bytes` if they are exactly one valid JSON value (surrounding whitespace
    /// allowed), nil otherwise.
    public static func validate(_ bytes: UnsafeRawBufferPointer) -> Kind? {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard let kind = scanner.scanValue() else { return nil }
        scanner.skipWhitespace()
        return scanner.atEnd ? kind : nil
    }

    public static func validate(_ text: String) -> Kind? {
        var text = text
        return text.withUTF8 { self.validate(UnsafeRawBufferPointer($0)) }
    }

    /// The raw text between the quotes of the first link's `href` (escapes not decoded) when
    /// `bytes` are a non-empty links array — `[{"entity": "…", "href": "…"}, …]`, each object
    /// with exactly those two string members, nothing else — and nil otherwise.
    ///
    /// One pass both checks the array and finds the href: a poll of a processed job needs the
    /// check for its body and the href for its `Location`, and the links are read on every poll.
    public static func firstLinkHref(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        guard scanner.consume(UInt8(ascii: "[")) else { return nil }
        var first: UnsafeRawBufferPointer?
        var href: UnsafeRawBufferPointer?
        repeat {
            scanner.skipWhitespace()
            guard scanner.scanLinkObject(href: &href) else { return nil }
            first = first ?? href
            scanner.skipWhitespace()
        } while scanner.consume(UInt8(ascii: ","))
        guard scanner.consume(UInt8(ascii: "]")) else { return nil }
        scanner.skipWhitespace()
        return scanner.atEnd ? first : nil
    }

    /// Whether `bytes` are an error object of the API: string `type` and `message` and, in a
    /// validation error, an `invalid` array of `{"entry_type", "entry", "rules": [{"rule", …}], …}`;
    /// no other members, each once. These are the shapes the published job schema allows.
    /// `requiringInvalid`: the `invalid` array must be there (a 422).
    public static func isErrorObject(_ bytes: UnsafeRawBufferPointer, requiringInvalid: Bool = false) -> Bool {
        var scanner = JSONScanner(bytes)
        scanner.skipWhitespace()
        let isError = scanner.scanObject(required: requiringInvalid ? 0b111 : 0b011, depth: 1) { name in
            if name.equals("type") { return (.string, 0b001) }
            if name.equals("message") { return (.string, 0b010) }
            if name.equals("invalid") { return (.invalidEntries, 0b100) }
            return nil
        }
        scanner.skipWhitespace()
        return isError && scanner.atEnd
    }

    // MARK: - Values

    private var atEnd: Bool { self.position == self.bytes.count }

    private var current: UInt8? {
        self.position < self.bytes.count ? self.bytes[self.position] : nil
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard self.current == byte else { return false }
        self.position += 1
        return true
    }

    private mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            self.position += 1
        }
    }

    /// Scans one value, iteratively. `enclosingDepth`: the levels of the field around it (0 for a
    /// whole field), which count towards `maximumDepth` too, so that the served document's depth
    /// is bounded however the field nests.
    private mutating func scanValue(enclosingDepth: Int = 0) -> Kind? {
        var containers = ContainerStack(limit: Self.maximumDepth - enclosingDepth)
        var topKind: Kind?
        while true {
            // A value starts here.
            self.skipWhitespace()
            guard let byte = self.current else { return nil }
            var kind: Kind
            switch byte {
            case UInt8(ascii: "{"):
                self.position += 1
                guard containers.push(isObject: true) else { return nil }
                topKind = topKind ?? .object
                self.skipWhitespace()
                if self.consume(UInt8(ascii: "}")) {
                    containers.pop()
                    kind = .object
                } else {
                    guard self.scanMemberName() else { return nil }
                    continue
                }
            case UInt8(ascii: "["):
                self.position += 1
                guard containers.push(isObject: false) else { return nil }
                topKind = topKind ?? .array
                self.skipWhitespace()
                if self.consume(UInt8(ascii: "]")) {
                    containers.pop()
                    kind = .array
                } else {
                    continue
                }
            case UInt8(ascii: "\""):
                guard self.scanString() else { return nil }
                kind = .string
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard self.scanNumber() else { return nil }
                kind = .number
            case UInt8(ascii: "t"):
                guard self.scanLiteral("true") else { return nil }
                kind = .literal
            case UInt8(ascii: "f"):
                guard self.scanLiteral("false") else { return nil }
                kind = .literal
            case UInt8(ascii: "n"):
                guard self.scanLiteral("null") else { return nil }
                kind = .literal
            default:
                return nil
            }
            // A value ended: close containers and find where the next value starts.
            while true {
                guard let isObject = containers.top else { return topKind ?? kind }
                self.skipWhitespace()
                if self.consume(UInt8(ascii: ",")) {
                    if isObject {
                        self.skipWhitespace()
                        guard self.scanMemberName() else { return nil }
                    }
                    break
                }
                guard self.consume(isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return nil }
                containers.pop()
            }
        }
    }

    /// `"name" :` inside an object.
    private mutating func scanMemberName() -> Bool {
        guard self.scanString() else { return false }
        self.skipWhitespace()
        return self.consume(UInt8(ascii: ":"))
    }

    /// What an object member's value must be, for `scanObject`.
    private enum MemberValue {
        case string
        case any
        /// A non-empty array of `{"entry_type": string, "entry": string, "rules": […], …}`.
        case invalidEntries
        /// A non-empty array of `{"rule": string, …}`.
        case rules
    }

    /// One object whose member names `expect` knows (nil refuses the member), each value of the
    /// expected kind. A member's bit may be seen once; every bit of `required` must be seen.
    /// `depth`: the object's own level in the field (1 for the field itself).
    private mutating func scanObject(
        required: UInt8,
        depth: Int,
        _ expect: (UnsafeRawBufferPointer) -> (MemberValue, bit: UInt8)?
    ) -> Bool {
        guard self.consume(UInt8(ascii: "{")) else { return false }
        var seen: UInt8 = 0
        self.skipWhitespace()
        if self.consume(UInt8(ascii: "}")) { return required == 0 }
        repeat {
            self.skipWhitespace()
            let nameStart = self.position + 1
            guard self.current == UInt8(ascii: "\""), self.scanString() else { return false }
            let name = UnsafeRawBufferPointer(rebasing: self.bytes[nameStart..<(self.position - 1)])
            guard let (kind, bit) = expect(name), seen & bit == 0 else { return false }
            seen |= bit
            self.skipWhitespace()
            guard self.consume(UInt8(ascii: ":")) else { return false }
            self.skipWhitespace()
            switch kind {
            case .string:
                guard self.current == UInt8(ascii: "\""), self.scanString() else { return false }
            case .any:
                guard self.scanValue(enclosingDepth: depth) != nil else { return false }
            case .invalidEntries:
                guard self.scanArray(of: .invalidEntries, depth: depth + 1) else { return false }
            case .rules:
                guard self.scanArray(of: .rules, depth: depth + 1) else { return false }
            }
            self.skipWhitespace()
        } while self.consume(UInt8(ascii: ","))
        return self.consume(UInt8(ascii: "}")) && seen & required == required
    }

    /// A non-empty array of validation entries or of their rules; `depth`: the array's own level.
    private mutating func scanArray(of kind: MemberValue, depth: Int) -> Bool {
        guard self.consume(UInt8(ascii: "[")) else { return false }
        repeat {
            self.skipWhitespace()
            let element: Bool
            if case .invalidEntries = kind {
                element = self.scanObject(required: 0b111, depth: depth + 1) { name in
                    if name.equals("entry_type") { return (.string, 0b001) }
                    if name.equals("entry") { return (.string, 0b010) }
                    if name.equals("rules") { return (.rules, 0b100) }
                    return (.any, 0)
                }
            } else {
                element = self.scanObject(required: 0b1, depth: depth + 1) { name in
                    name.equals("rule") ? (.string, 0b1) : (.any, 0)
                }
            }
            guard element else { return false }
            self.skipWhitespace()
        } while self.consume(UInt8(ascii: ","))
        return self.consume(UInt8(ascii: "]"))
    }

    /// One link object: exactly `entity` and `href`, both strings, in any order; `href` is set
    /// to where the text of its `href` lies.
    private mutating func scanLinkObject(href: inout UnsafeRawBufferPointer?) -> Bool {
        guard self.consume(UInt8(ascii: "{")) else { return false }
        var sawEntity = false
        var sawHref = false
        repeat {
            self.skipWhitespace()
            let nameStart = self.position + 1
            guard self.scanString() else { return false }
            let name = UnsafeRawBufferPointer(rebasing: self.bytes[nameStart..<(self.position - 1)])
            if name.equals("entity"), !sawEntity {
                sawEntity = true
            } else if name.equals("href"), !sawHref {
                sawHref = true
            } else {
                return false
            }
            self.skipWhitespace()
            guard self.consume(UInt8(ascii: ":")) else { return false }
            self.skipWhitespace()
            let valueStart = self.position + 1
            guard self.current == UInt8(ascii: "\""), self.scanString() else { return false }
            if name.equals("href") {
                href = UnsafeRawBufferPointer(rebasing: self.bytes[valueStart..<(self.position - 1)])
            }
            self.skipWhitespace()
        } while self.consume(UInt8(ascii: ","))
        return sawEntity && sawHref && self.consume(UInt8(ascii: "}"))
    }

    private mutating func scanLiteral(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard self.bytes.count - self.position >= length else { return false }
        let candidate = UnsafeRawBufferPointer(rebasing: self.bytes[self.position..<(self.position + length)])
        guard candidate.equals(literal) else { return false }
        self.position += length
        return true
    }

    /// A string literal: escapes checked, raw control characters refused, UTF-8 validated.
    private mutating func scanString() -> Bool {
        guard self.consume(UInt8(ascii: "\"")) else { return false }
        while let byte = self.current {
            // Fast path: a run of plain printable ASCII, the bulk of any document.
            if byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                self.skipPlainASCII()
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                self.position += 1
                return true
            case UInt8(ascii: "\\"):
                self.position += 1
                guard let escaped = self.current else { return false }
                self.position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    // An escaped surrogate is only half a character: a high one needs its low half
                    // right after it, a low one alone is refused (strict parsers refuse both).
                    guard let code = self.scanHex4(), !(0xDC00...0xDFFF).contains(code) else { return false }
                    if (0xD800...0xDBFF).contains(code) {
                        guard self.consume(UInt8(ascii: "\\")), self.consume(UInt8(ascii: "u")),
                            let low = self.scanHex4(), (0xDC00...0xDFFF).contains(low)
                        else { return false }
                    }
                default:
                    return false
                }
            case 0x00..<0x20:
                return false
            case 0x20..<0x80:
                self.position += 1
            default:
                guard let length = UTF8Validation.sequenceLength(in: self.bytes, at: self.position) else { return false }
                self.position += length
            }
        }
        return false
    }

    /// Four hex digits, as a number.
    private mutating func scanHex4() -> UInt16? {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let hex = self.current, let digit = hex.hexValue else { return nil }
            value = value << 4 | UInt16(digit)
            self.position += 1
        }
        return value
    }

    /// Advances over printable ASCII other than `"` and `\`, without per-byte bounds checks.
    private mutating func skipPlainASCII() {
        guard let base = self.bytes.baseAddress else { return }
        var index = self.position
        let end = self.bytes.count
        // Eight bytes at a time while none of them ends the run: the stored links are read on
        // every poll (their scan was the costliest part of the record's check). A word with any
        // byte below 0x20, from 0x80, a quote or a backslash goes on byte by byte below.
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while end - index >= 8 {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
            let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
            let control = (word &- ones &* 0x20) & ~word
            let quote = (quotes &- ones) & ~quotes
            let backslash = (backslashes &- ones) & ~backslashes
            guard (control | quote | backslash | word) & highs == 0 else { break }
            index += 8
        }
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            guard byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") else { break }
            index += 1
        }
        self.position = index
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, within a double's range: RFC 8259 §6
    /// lets parsers refuse larger numbers, and common ones do (Foundation fails, Python reads `inf`),
    /// so `5e65655` is not JSON a client can use. The write script applies the same rule.
    private mutating func scanNumber() -> Bool {
        let start = self.position
        _ = self.consume(UInt8(ascii: "-"))
        if self.consume(UInt8(ascii: "0")) {
            // A leading zero stands alone.
        } else {
            guard self.scanDigits() else { return false }
        }
        if self.consume(UInt8(ascii: ".")) {
            guard self.scanDigits() else { return false }
        }
        if self.consume(UInt8(ascii: "e")) || self.consume(UInt8(ascii: "E")) {
            if !self.consume(UInt8(ascii: "+")) { _ = self.consume(UInt8(ascii: "-")) }
            guard self.scanDigits() else { return false }
        } else if self.position - start < 300 {
            return true  // too few digits to leave a double's range
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.position]), as: UTF8.self)
        return Double(text)?.isFinite ?? false
    }

    private mutating func scanDigits() -> Bool {
        let start = self.position
        while let byte = self.current, byte.isDigit {
            self.position += 1
        }
        return self.position > start
    }
}

/// Which containers are open, one bit each (1 = object), without touching the heap.
private struct ContainerStack {
    private var words = InlineArray<2, UInt64>(repeating: 0)
    private(set) var depth = 0
    /// The most containers that may be open: what `JSONScanner.maximumDepth` leaves.
    private let limit: Int

    /// Room for `JSONScanner.maximumDepth` levels.
    static let capacity = 2 * 64

    init(limit: Int) {
        self.limit = limit
    }

    var top: Bool? {
        guard self.depth > 0 else { return nil }
        let index = self.depth - 1
        return self.words[index >> 6] & (1 << UInt64(index & 63)) != 0
    }

    mutating func push(isObject: Bool) -> Bool {
        guard self.depth < self.limit, self.depth < Self.capacity else { return false }
        let mask: UInt64 = 1 << UInt64(self.depth & 63)
        if isObject {
            self.words[self.depth >> 6] |= mask
        } else {
            self.words[self.depth >> 6] &= ~mask
        }
        self.depth += 1
        return true
    }

    mutating func pop() {
        self.depth -= 1
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}
