/// Request ids for requests that bring none: one per event loop, no locks, no allocation.
///
/// An id is a random per-loop prefix followed by a counter, at most 15 characters, so Swift keeps
/// it inline in the `String` without touching the heap.
final class RequestIDGenerator {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private static let prefixLength = 6

    private let prefix: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    private var counter: UInt64 = 0

    init() {
        var generator = SystemRandomNumberGenerator()
        let pick = { (generator: inout SystemRandomNumberGenerator) in
            Self.alphabet[Int(generator.next(upperBound: UInt64(Self.alphabet.count)))]
        }
        self.prefix = (
            pick(&generator), pick(&generator), pick(&generator), pick(&generator), pick(&generator), pick(&generator)
        )
    }

    func next() -> String {
        self.counter &+= 1
        var value = self.counter
        return String(unsafeUninitializedCapacity: 15) { buffer in
            buffer[0] = self.prefix.0
            buffer[1] = self.prefix.1
            buffer[2] = self.prefix.2
            buffer[3] = self.prefix.3
            buffer[4] = self.prefix.4
            buffer[5] = self.prefix.5
            var digits = 0
            var scratch = value
            repeat {
                digits += 1
                scratch /= 62
            } while scratch > 0
            let end = Self.prefixLength + min(digits, 15 - Self.prefixLength)
            var index = end
            while index > Self.prefixLength {
                index -= 1
                buffer[index] = Self.alphabet[Int(value % 62)]
                value /= 62
            }
            return end
        }
    }

    /// Whether a client's `X-Request-ID` may be echoed: 1–200 bytes of visible ASCII (`!` to `~`:
    /// no controls, no space, nothing that could end a header line). The live eHealth system echoes
    /// what its gateway sends, such as `806e0f81-ac97-470e-988f-6391e9abf642#28157`; in the body
    /// the id is written as a JSON string, so `"` and `\` are escaped there.
    static func isAcceptable(_ candidate: String) -> Bool {
        let bytes = candidate.utf8
        guard !bytes.isEmpty, bytes.count <= 200 else { return false }
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}
