/// The entity tag of a job list's state (`GET /api/jobs?ids=…`): `W/"l<16 hex digits>"`, a
/// 64-bit FNV-1a hash over every item in order — its id and its state (the job's own tag, or
/// that it was not found, or broke the contract).
///
/// Like a job's tag it names the state, not the response (weak, RFC 9110 §8.8.1): the same ids
/// with the same versions give the same tag, and any write to any of them changes it. A list
/// holding a record without a version has no state to name (nil).
public struct JobListTag: Equatable, Sendable {
    /// What one item contributes, computed when its record is read (the record's bytes are only
    /// borrowed then); the items are combined in the list's order afterwards.
    public struct Item: Equatable, Sendable {
        fileprivate let hash: UInt64

        /// A found job with `tag`; nil when the job has no tag (the list then has none).
        public init?(id: UnsafeRawBufferPointer, tag: EntityTag?) {
            guard let tag else { return nil }
            let parts = tag.parts
            var hasher = FNV1a()
            hasher.mix(id)
            hasher.mix(byte: 0x01)
            hasher.mix(parts.version)
            if let createdAt = parts.createdAt {
                hasher.mix(byte: UInt8(ascii: "."))
                hasher.mix(createdAt)
            }
            self.hash = hasher.hash
        }

        /// A job that was not found (`broken` false) or whose record breaks the contract.
        public init(id: UnsafeRawBufferPointer, broken: Bool) {
            var hasher = FNV1a()
            hasher.mix(id)
            hasher.mix(byte: broken ? 0x03 : 0x02)
            self.hash = hasher.hash
        }
    }

    /// The opaque text's length: `l` and 16 hex digits.
    private static let opaqueLength = 17

    private let hash: UInt64

    /// The tag of a list of these items, in this order.
    public init(_ items: some Sequence<Item>) {
        var hasher = FNV1a()
        for item in items {
            withUnsafeBytes(of: item.hash.littleEndian) { hasher.mix($0) }
        }
        self.hash = hasher.hash
    }

    /// Writes the header value, `W/"l…"`.
    public func write(into output: inout BoundedOutput) {
        output.write("W/\"")
        self.withOpaque { output.write($0) }
        output.write("\"")
    }

    /// Whether an `If-None-Match` value matches this tag (`*`, or the same opaque text).
    public func matches(ifNoneMatch header: UnsafeRawBufferPointer) -> Bool {
        self.withOpaque { opaque in
            EntityTag.ifNoneMatch(header) { $0.elementsEqual(opaque) }
        }
    }

    private func withOpaque<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withUnsafeTemporaryAllocation(byteCount: Self.opaqueLength, alignment: 1) { text in
            let digits: StaticString = "0123456789abcdef"
            text[0] = UInt8(ascii: "l")
            for index in 0..<16 {
                text[1 + index] = digits.utf8Start[Int((self.hash >> (60 - 4 * UInt64(index))) & 0xF)]
            }
            return body(UnsafeRawBufferPointer(text))
        }
    }
}

/// 64-bit FNV-1a: small, fast, and stable across processes and versions (Swift's `Hasher` is
/// seeded per process, and a tag must mean the same on every front behind the load balancer).
private struct FNV1a {
    private(set) var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func mix(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { self.mix(byte: byte) }
        // Ends the piece, so that ("ab", x) and ("a", "b"x) do not collide by concatenation.
        self.mix(byte: 0x00)
    }

    mutating func mix(byte: UInt8) {
        self.hash = (self.hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }
}
