import JobStatusCore
import JobStatusTestSupport
import NIOCore
import Testing

@Suite("Entity tags and RFC 3339 times")
struct EntityTagAndTimeTests {
    private func tag(_ version: String?, _ createdAt: String?) -> String? {
        let record = StoredRecord(
            [JobRecordField.version: version, .createdAt: createdAt].compactMapValues { $0 }
        )
        guard let tag = EntityTag(version: record.view[.version], createdAt: record.view[.createdAt]) else { return nil }
        var buffer = ByteBuffer()
        buffer.writeBounded(maximumBytes: EntityTag.maximumCount) { tag.write(into: &$0) }
        return String(buffer: buffer)
    }

    @Test("the tag names the state: version and creation time, weak")
    func format() {
        #expect(self.tag("7", "1795855073327") == #"W/"7.1795855073327""#)
        #expect(self.tag("7", nil) == #"W/"7""#)
        #expect(self.tag(nil, "1") == nil)
        #expect(self.tag("7\r\nX: y", "1") == nil, "only digits ever reach a header")
        #expect(self.tag("", nil) == nil)
    }

    @Test("RFC 3339 to epoch milliseconds")
    func timestamps() {
        let cases: [(String, Int64?)] = [
            ("1970-01-01T00:00:00Z", 0),
            ("2018-08-02T10:45:16.000Z", 1_533_206_716_000),
            ("2018-08-02T10:45:16.5Z", 1_533_206_716_500),
            ("2018-08-02T12:45:16.123+02:00", 1_533_206_716_123),
            ("2018-08-02t10:45:16z", 1_533_206_716_000),
            ("2000-02-29T00:00:00Z", 951_782_400_000),
            ("2018-08-02T10:45:16.123456789Z", 1_533_206_716_123),
            ("2018-08-02T12:45:16.123456789+02:00", 1_533_206_716_123),
            ("2018-08-02T10:45:16.1234567890Z", nil),
            ("2018-08-02T10:45:60Z", 1_533_206_760_000),
            ("2018-08-02T10:45:60.500Z", 1_533_206_760_500),
            ("2018-08-02T10:45:16." + String(repeating: "0", count: 100_000) + "Z", nil),
            ("2019-04-26T09:16:15.936", nil),
            ("2018-13-02T10:45:16Z", nil),
            ("2018-08-02 10:45Z", nil),
            ("soon", nil),
            ("", nil),
        ]
        for (text, expected) in cases {
            #expect(withBytes(text) { RFC3339.millisecondsSinceEpoch($0) } == expected, "\(text)")
        }
    }
}
