public import NIOCore

/// JSON string literals for writers that build a buffer piece by piece (the Swift writer's
/// arguments, the JSON log lines, the health bodies); each call is one `BoundedOutput` write,
/// which escapes.
extension ByteBuffer {
    /// Writes `text` as a JSON string literal, quotes included.
    public mutating func writeJSONString(_ text: String) {
        self.writeBounded(maximumBytes: 2 + BoundedOutput.maximumEscapedCount(text.utf8.count)) { $0.writeJSONString(text) }
    }
}
