import Foundation
import JobStatusCore
import JobStatusTestSupport
import NIOCore
import Testing

/// `BoundedOutput` traps on a write past its writer's bound, so each test here writing a writer's
/// worst case (every byte escaped to six) passing is the proof that the bound holds.
@Suite("Bounded output: the writers' worst cases stay within their bounds")
struct BoundedOutputTests {
    /// Bytes that each escape to six: control characters (`\u00XX`) and bytes that are not UTF-8 (`\ufffd`).
    private static let worst = String(decoding: (0..<200).map { UInt8($0 % 2 == 0 ? 0x01 : 0x1F) }, as: UTF8.self)
    private static let invalidUTF8: [UInt8] = Array(repeating: 0xFF, count: 300)

    @Test("escaping: every byte of text that needs it six times over fits, and the literal is valid JSON")
    func escaping() throws {
        var buffer = ByteBuffer()
        Self.invalidUTF8.withUnsafeBytes { bytes in
            buffer.writeBounded(maximumBytes: 2 + BoundedOutput.maximumEscapedCount(bytes.count)) { $0.writeJSONString(bytes) }
        }
        buffer.writeJSONString(Self.worst)
        #expect(buffer.readableBytes == 2 + 6 * 300 + 2 + 6 * 200)
        let text = String(buffer: buffer).replacingOccurrences(of: #""""#, with: #"",""#)
        let decoded = try JSONSerialization.jsonObject(with: Data("[\(text)]".utf8)) as? [String]
        #expect(decoded?.first == String(repeating: "\u{FFFD}", count: 300))
        #expect(decoded?.last == Self.worst)
    }

    @Test("decimals: the widest integers")
    func decimals() {
        var buffer = ByteBuffer()
        for value in [Int.min, Int.max, 0, -7, 42] {
            buffer.writeBounded(maximumBytes: BoundedOutput.maximumDecimalCount) { $0.writeDecimal(value) }
            buffer.writeStaticString(" ")
        }
        #expect(String(buffer: buffer) == "\(Int.min) \(Int.max) 0 -7 42 ")
    }

    @Test("envelopes whose every request fact escapes: a job, a list and its items, an error with its validation entry")
    func envelopes() throws {
        let meta = EnvelopeMeta(scheme: Self.worst, host: Self.worst, path: Substring(Self.worst), requestID: Self.worst)
        let record = StoredRecord([
            .status: "processed", .eta: "2026-11-28T10:45:16.000Z", .statusCode: "200", .version: "2",
            .links: #"[{"entity":"e","href":"/\u0001"}]"#,
        ])
        guard case .found(let job) = JobReadOutcome.decide(record.view, caller: nil) else {
            Issue.record("the record was refused")
            return
        }
        var buffer = ByteBuffer()
        withBytes("NBXk9EyErUZv1RhXgyvgg") { EnvelopeWriter.writeJob(job, id: $0, meta: meta, into: &buffer) }
        #expect(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) is [String: Any])

        buffer.clear()
        EnvelopeWriter.writeList(meta: meta, into: &buffer) { items in
            withBytes("NBXk9EyErUZv1RhXgyvgg") { EnvelopeWriter.writeListItem(job, id: $0, into: &items) }
            items.writeStaticString(",")
            Self.invalidUTF8.withUnsafeBytes { EnvelopeWriter.writeListItem(id: $0, status: "not_found", into: &items) }
        }
        #expect(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) is [String: Any])

        buffer.clear()
        let invalid = InvalidEntry(entryType: "query_parameter", entry: "$.wait", rule: "number", description: Self.worst)
        EnvelopeWriter.writeError(code: 422, type: "validation_failed", message: Self.worst, invalid: invalid, meta: meta, into: &buffer)
        #expect(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) is [String: Any])
    }
}
