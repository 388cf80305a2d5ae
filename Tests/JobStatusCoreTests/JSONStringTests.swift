import JobStatusCore
import NIOCore
import Testing

@Suite("JSON string escaping")
struct JSONStringTests {
    private func escaped(_ bytes: [UInt8]) -> String {
        var buffer = ByteBuffer()
        bytes.withUnsafeBytes { bytes in
            buffer.writeBounded(maximumBytes: 2 + BoundedOutput.maximumEscapedCount(bytes.count)) { $0.writeJSONString(bytes) }
        }
        return String(buffer: buffer)
    }

    @Test("quotes, backslashes and control characters are escaped")
    func escapes() {
        #expect(self.escaped(Array("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}".utf8)) == #""a\"b\\c\n\r\t\b\f\u0001\u001f""#)
    }

    @Test("non-ASCII text passes through unchanged")
    func unicode() {
        #expect(self.escaped(Array("Київ 🎉".utf8)) == "\"Київ 🎉\"")
    }

    @Test("bytes that are not UTF-8 become U+FFFD, so the output is still valid JSON")
    func invalidUTF8() {
        let output = self.escaped([0x61, 0xFF, 0xC3, 0x62, 0xED, 0xA0, 0x80])
        #expect(output == #""a\ufffd\ufffdb\ufffd\ufffd\ufffd""#)
        #expect(parsedJSON(output) as? String == "a\u{FFFD}\u{FFFD}b\u{FFFD}\u{FFFD}\u{FFFD}")
    }

    @Test("every single byte value yields valid JSON that Foundation reads back")
    func everyByte() {
        for byte in UInt8.min...UInt8.max {
            let output = self.escaped([0x78, byte, 0x78])
            #expect(parsedJSON(output) is String, "byte \(byte) gave \(output)")
        }
    }
}
