/// The entity tag of a job's state: `W/"<version>.<created_at>"`.
///
/// It names the state, not the response: two polls of an unchanged job get the same tag although
/// their `request_id` differs, which is why the tag is weak (RFC 9110 §8.8.1). `version` grows
/// with every write; `created_at` tells apart two records that reused an id after one expired.
public struct EntityTag {
    /// The opaque text between the quotes, borrowed from the record.
    private let version: UnsafeRawBufferPointer
    private let createdAt: UnsafeRawBufferPointer?

    /// A tag for a record with these fields; nil unless `version` (and `created_at`, when
    /// present) are plain decimal digits, so the tag is always a safe header value.
    public init?(version: UnsafeRawBufferPointer?, createdAt: UnsafeRawBufferPointer?) {
        guard let version, Self.isDigits(version) else { return nil }
        if let createdAt, !Self.isDigits(createdAt) { return nil }
        self.version = version
        self.createdAt = createdAt
    }

    /// The version as a number.
    public var versionNumber: Int64 {
        self.version.reduce(0) { $0 &* 10 &+ Int64($1 &- UInt8(ascii: "0")) }
    }

    /// The most bytes `write` writes: `W/"`, two 20-digit numbers, a dot and a quote (a job
    /// list's tag, `JobListTag`, is shorter).
    public static let maximumCount = 4 + 20 + 1 + 20

    /// Writes the header value, `W/"…"`.
    public func write(into output: inout BoundedOutput) {
        output.write("W/\"")
        output.write(self.version)
        if let createdAt = self.createdAt {
            output.write(".")
            output.write(createdAt)
        }
        output.write("\"")
    }

    /// Whether an `If-None-Match` value matches this tag: `*`, or a list holding the same opaque
    /// tag (weak comparison: `W/` is ignored on both sides).
    public func matches(ifNoneMatch header: UnsafeRawBufferPointer) -> Bool {
        Self.ifNoneMatch(header, names: self.opaqueEquals)
    }

    /// Whether an `If-None-Match` value is `*` or lists a tag whose opaque text (between the
    /// quotes, `W/` ignored) `isTag` accepts: the one reading of that header, for every kind of tag.
    static func ifNoneMatch(_ header: UnsafeRawBufferPointer, names isTag: (UnsafeRawBufferPointer) -> Bool) -> Bool {
        var index = 0
        while index < header.count {
            let byte = header[index]
            if byte == UInt8(ascii: "*") { return true }
            if byte == UInt8(ascii: "\"") {
                let start = index + 1
                var end = start
                while end < header.count && header[end] != UInt8(ascii: "\"") { end += 1 }
                if isTag(UnsafeRawBufferPointer(rebasing: header[start..<end])) { return true }
                index = end + 1
            } else {
                index += 1
            }
        }
        return false
    }

    /// The opaque text's parts, for a tag that covers several jobs (`JobListTag`).
    var parts: (version: UnsafeRawBufferPointer, createdAt: UnsafeRawBufferPointer?) {
        (self.version, self.createdAt)
    }

    private func opaqueEquals(_ candidate: UnsafeRawBufferPointer) -> Bool {
        guard let createdAt = self.createdAt else { return candidate.elementsEqual(self.version) }
        guard candidate.count == self.version.count + 1 + createdAt.count else { return false }
        return candidate.prefix(self.version.count).elementsEqual(self.version)
            && candidate[self.version.count] == UInt8(ascii: ".")
            && candidate.suffix(createdAt.count).elementsEqual(createdAt)
    }

    private static func isDigits(_ bytes: UnsafeRawBufferPointer) -> Bool {
        !bytes.isEmpty && bytes.count <= 20 && bytes.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
