/// Job identifiers: `[A-Za-z0-9_-]{1,64}`.
///
/// The alphabet is URL-safe, Redis-key-safe and JSON-safe, so an id taken from a request path can
/// be placed in a key, a link and an envelope without escaping. Generated ids carry 128 random
/// bits so that they cannot be guessed.
public enum JobID {
    public static let maximumLength = 64
    /// The length of a generated id: 128 bits in base62 need 22 digits.
    public static let generatedLength = 22

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Whether `bytes` form a valid id. Inlinable: the request path's check runs on every poll,
    /// and a generic call across modules (unspecialized, through witness tables) cost it 5 % of
    /// the whole poll's user-space CPU.
    @inlinable
    public static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        guard !bytes.isEmpty, bytes.count <= self.maximumLength else { return false }
        return bytes.allSatisfy(self.isIDByte)
    }

    public static func isValid(_ text: String) -> Bool {
        self.isValid(text.utf8)
    }

    @inlinable @inline(__always)
    static func isIDByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// A fresh id: 128 bits from the system's cryptographic generator, as 22 base62 digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return self.encode(UInt128(generator.next() as UInt64) << 64 | UInt128(generator.next() as UInt64))
    }

    /// `value` in base62, zero-padded to `generatedLength` digits.
    static func encode(_ value: UInt128) -> String {
        var digits = [UInt8](repeating: self.alphabet[0], count: self.generatedLength)
        var remaining = value
        var index = self.generatedLength
        while remaining > 0 {
            index -= 1
            let (quotient, digit) = remaining.quotientAndRemainder(dividingBy: 62)
            digits[index] = self.alphabet[Int(digit)]
            remaining = quotient
        }
        return String(decoding: digits, as: UTF8.self)
    }
}
