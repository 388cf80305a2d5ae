import RedisTestSupport

/// Random calls of the write script, near the edges of the contract: valid values of every
/// argument, and the same values bent — a byte changed, dropped or doubled, a member repeated,
/// a surrogate or an invalid UTF-8 sequence slipped in, a number pushed out of range.
struct RandomWrites {
    var random: SeededGenerator

    init(seed: UInt64, keyPrefix: String) {
        self.random = SeededGenerator(seed: seed)
        self.keyPrefix = keyPrefix
    }

    static let operations: [(name: String, arguments: [String])] = [
        ("create", ["eta", "owner", "ttl"]),
        ("progress", ["eta", "ttl"]),
        ("processed", ["links", "response_data", "status_code", "ttl"]),
        ("failed", ["status_code", "error", "ttl"]),
        ("failed_with_error", ["message", "ttl"]),
    ]

    /// Pending jobs this generator created (so that most terminal calls meet one), and every key used.
    private var pending: [String] = []
    private var used: [String] = []
    private var fresh = 0
    let keyPrefix: String

    /// The next call and the key it goes to: mostly the calls a worker makes (create a job, then
    /// progress and end it), the rest any operation on any key, to meet every state.
    mutating func next() -> (key: String, op: String, args: [(String, [UInt8])]) {
        let roll = self.random.next() % 100
        let key: String
        let operation: (name: String, arguments: [String])
        if roll < 35 || self.pending.isEmpty {
            self.fresh += 1
            key = "\(self.keyPrefix)\(self.fresh)"
            self.used.append(key)
            operation = Self.operations[0]
        } else if roll < 80 {
            key = self.pending.randomElement(using: &self.random)!
            operation = Self.operations[Int.random(in: 1...4, using: &self.random)]
        } else {
            key = self.used.randomElement(using: &self.random)!
            operation = Self.operations.randomElement(using: &self.random)!
        }
        return (key, operation.name, self.arguments(for: operation))
    }

    /// What the script answered: keeps the set of pending jobs current.
    mutating func settled(_ key: String, op: String, accepted: Bool) {
        guard accepted else { return }
        if op == "create" {
            self.pending.append(key)
        } else if op != "progress" {
            self.pending.removeAll { $0 == key }
        }
    }

    /// One call's arguments.
    private mutating func arguments(for operation: (name: String, arguments: [String])) -> [(String, [UInt8])] {
        var args: [(String, [UInt8])] = []
        // A processed job has links or response_data, mostly exactly one of them.
        let result = self.chance(0.5) ? "links" : "response_data"
        for name in operation.arguments {
            let wanted: Bool
            switch name {
            case "links", "response_data": wanted = name == result ? self.chance(0.95) : self.chance(0.05)
            default: wanted = Self.isUsuallyRequired(name, in: operation.name) ? self.chance(0.97) : self.chance(0.6)
            }
            if wanted { args.append((name, self.value(for: name, in: operation.name))) }
        }
        if self.chance(0.03) {
            // An argument the operation does not take.
            args.append((["status", "version", "eta", "links", "nonsense"].randomElement(using: &self.random)!, Array("x".utf8)))
        }
        return args.shuffled(using: &self.random)
    }

    private static func isUsuallyRequired(_ name: String, in op: String) -> Bool {
        (op == "create" && name == "eta") || (op == "failed" && (name == "status_code" || name == "error"))
            || (op == "failed_with_error" && name == "message")
    }

    mutating func chance(_ probability: Double) -> Bool {
        Double(self.random.next() % 10_000) < probability * 10_000
    }

    mutating func value(for name: String, in op: String) -> [UInt8] {
        let valid: [UInt8]
        switch name {
        case "eta": valid = Array(self.eta().utf8)
        case "ttl": valid = Array(self.ttl().utf8)
        case "owner": valid = Array(String(repeating: "o", count: self.chance(0.9) ? Int.random(in: 1...256, using: &self.random) : self.pick([0, 257, 300])).utf8)
        case "status_code": valid = Array(self.statusCode(for: op).utf8)
        case "links": valid = Array(self.links().utf8)
        case "response_data": valid = Array(self.json(depth: 0).utf8)
        case "error": valid = Array(self.error().utf8)
        case "message": valid = self.text()
        default: valid = Array("x".utf8)
        }
        return self.chance(0.1) ? self.bend(valid) : valid
    }

    // MARK: - Values near the edges

    private mutating func pick<Value>(_ values: [Value]) -> Value {
        values.randomElement(using: &self.random)!
    }

    private mutating func number(_ range: ClosedRange<Int>, width: Int) -> String {
        let value = Int.random(in: range, using: &self.random)
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Each value is valid about four times in five, and sits at or just past an edge otherwise.
    private mutating func eta() -> String {
        let valid = self.chance(0.8)
        let year = valid ? self.pick(["2026", "2028", "2000", "0000", "9998"]) : self.pick(["0000", "2100", "9999", self.number(0...9999, width: 4)])
        let month = valid ? self.number(1...12, width: 2) : self.pick(["00", "02", "13", "19"])
        let day = valid ? self.number(1...28, width: 2) : self.pick(["00", "29", "30", "31", "32"])
        let hour = valid ? self.number(0...23, width: 2) : self.pick(["23", "24", "25"])
        let minute = valid ? self.number(0...59, width: 2) : self.pick(["59", "60"])
        let second = valid ? self.number(0...60, width: 2) : self.pick(["60", "61"])
        let separator = valid ? self.pick(["T", "t"]) : self.pick(["T", " "])
        let fraction = valid ? self.pick(["", ".000", ".5", ".123456", ".123456789"]) : self.pick(["", "."])
        let zone = valid ? self.pick(["Z", "z", "+02:00", "-11:30"]) : self.pick(["Z", "-23:59", "+24:00", "+02:60", "+0200", ""])
        return "\(year)-\(month)-\(day)\(separator)\(hour):\(minute):\(second)\(fraction)\(zone)"
    }

    private mutating func ttl() -> String {
        if self.chance(0.8) {
            return self.pick(["1", "60", "86400", "315360000", String(Int.random(in: 1...315_360_000, using: &self.random))])
        }
        return self.pick(["315360001", "0", "-1", "1.5", "inf", "nan", "1e999", "0100", " 5", "",
            String(UInt64.random(in: 0...UInt64.max, using: &self.random))])
    }

    private mutating func statusCode(for op: String) -> String {
        if self.chance(0.8) { return op == "processed" ? self.pick(["200", "201", "299"]) : self.pick(["403", "404", "409", "422", "500", "503"]) }
        return self.pick(["199", "300", "303", "399", "600", "4O4", "20", "2000", self.number(0...999, width: 3)])
    }

    private mutating func string() -> String {
        if self.chance(0.8) {
            return self.pick([#""text""#, #""Patient not found""#, #""a\"b\\c""#, #""\u00e9""#, #""\ud83d\ude00""#, #""діагноз""#, #""""#,
                #""a\u0000b""#, #""/api/encounters/1""#])
        }
        return self.pick([#""\ud800""#, #""\udc00""#, #""\ud83dx""#, #""a\xb""#, "\"tab\there\""])
    }

    private mutating func json(depth: Int) -> String {
        let kind = depth > 3 ? Int.random(in: 0...2, using: &self.random) : Int.random(in: 0...4, using: &self.random)
        let valid = self.chance(0.85)
        switch kind {
        case 0: return self.string()
        case 1: return valid ? self.pick(["0", "-0", "1", "3.14", "1e308", "-1.5e-7"]) : self.pick(["1e309", "01", "1.", "5e65655", "0x10", ".5"])
        case 2: return valid ? self.pick(["true", "false", "null"]) : self.pick(["NaN", "Infinity", "True"])
        case 3:
            let count = Int.random(in: 0...3, using: &self.random)
            return "[" + (0..<count).map { _ in self.json(depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let count = Int.random(in: 0...3, using: &self.random)
            let members = (0..<count).map { _ in "\(self.pick([#""a""#, #""b""#, #""a""#, #""type""#]))" + ":" + self.json(depth: depth + 1) }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    private mutating func links() -> String {
        let count = Int.random(in: 0...3, using: &self.random)
        let link = { (generator: inout RandomWrites) -> String in
            var members = [#""entity":\#(generator.string())"#, #""href":\#(generator.string())"#]
            if generator.chance(0.1) { members.append(generator.pick([#""entity":"b""#, #""rel":"self""#, #""href":1"#])) }
            if generator.chance(0.05) { members.removeFirst() }
            return "{" + members.shuffled(using: &generator.random).joined(separator: ",") + "}"
        }
        return "[" + (0..<count).map { _ in link(&self) }.joined(separator: ",") + "]"
    }

    private mutating func error() -> String {
        if self.chance(0.4) { return self.string() }
        var members = [#""type":\#(self.string())"#, #""message":\#(self.string())"#]
        if self.chance(0.4) {
            let rule = self.pick([#"{"rule":"required","params":[]}"#, #"{"params":[]}"#, #"{"rule":1}"#])
            let entry = self.pick([
                #"{"entry_type":"json_data_property","entry":"$.a","rules":[\#(rule)]}"#,
                #"{"entry_type":"t","entry":"e","rules":[]}"#, #"{"entry_type":"t","entry":"e"}"#,
                #"{"entry_type":"t","entry":"e","rules":[\#(rule)],"extra":[1]}"#,
            ])
            members.append(self.pick([#""invalid":[\#(entry)]"#, #""invalid":[]"#]))
        }
        if self.chance(0.1) { members.append(self.pick([#""message":"again""#, #""code":7"#, #""type":"again""#])) }
        if self.chance(0.05) { members.removeFirst() }
        return "{" + members.shuffled(using: &self.random).joined(separator: ",") + "}"
    }

    private mutating func text() -> [UInt8] {
        let parts: [[UInt8]] = [Array("database unreachable".utf8), Array("база даних".utf8), Array(#"quote " and \ back"#.utf8),
            [0x01], [0xE2, 0x82], [0xE2, 0x82, 0xAC], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98, 0x80], [0xFF], []]
        return (0..<Int.random(in: 0...3, using: &self.random)).flatMap { _ in parts.randomElement(using: &self.random)! }
    }

    /// A value bent: one of a few small edits.
    private mutating func bend(_ value: [UInt8]) -> [UInt8] {
        var bytes = value
        let position = bytes.isEmpty ? 0 : Int(self.random.next() % UInt64(bytes.count))
        switch self.random.next() % 7 {
        case 0 where !bytes.isEmpty: bytes.remove(at: position)
        case 1: bytes.insert(UInt8(truncatingIfNeeded: self.random.next()), at: position)
        case 2 where !bytes.isEmpty: bytes[position] = UInt8(truncatingIfNeeded: self.random.next())
        case 3 where !bytes.isEmpty: bytes = Array(bytes[..<position])
        case 4: bytes.insert(contentsOf: [[0xE2, 0x82], [0xED, 0xB0, 0x80], [0x00], Array(#"\ud800"#.utf8), Array(#"\""#.utf8)].randomElement(using: &self.random)!, at: position)
        case 5 where !bytes.isEmpty: bytes.insert(contentsOf: bytes[position...], at: position)
        default: bytes.append(contentsOf: Array(" ".utf8))
        }
        return bytes
    }
}
