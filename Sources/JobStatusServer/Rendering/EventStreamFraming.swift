import NIOCore

/// Server-Sent Events on the wire: events, comments, and the HTTP/1.1 chunks that carry them.
enum EventStreamFraming {
    /// `id: <version>`, an optional `event:` name, and the JSON in `data:` lines. Raw line breaks
    /// can only be whitespace between JSON tokens (inside strings they are escaped), so splitting
    /// there and letting the client join the lines with `\n` preserves the JSON.
    static func event(id: Int64?, name: StaticString?, data: ByteBuffer, into buffer: inout ByteBuffer) {
        if let id {
            buffer.writeStaticString("id: ")
            buffer.writeString(String(id))
            buffer.writeStaticString("\n")
        }
        if let name {
            buffer.writeStaticString("event: ")
            buffer.writeStaticString(name)
            buffer.writeStaticString("\n")
        }
        data.withUnsafeReadableBytes { bytes in
            var lineStart = 0
            for index in 0...bytes.count where index == bytes.count || bytes[index] == 0x0A || bytes[index] == 0x0D {
                if index > lineStart {
                    buffer.writeStaticString("data: ")
                    buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<index]))
                    buffer.writeStaticString("\n")
                }
                lineStart = index + 1
            }
        }
        buffer.writeStaticString("\n")
    }

    /// A comment line: keeps proxies from closing an idle stream.
    static func heartbeat(into buffer: inout ByteBuffer) {
        buffer.writeStaticString(": heartbeat\n\n")
    }

    /// `payload` as one chunk of a chunked body (or as is, for a stream that ends by closing).
    static func frame(_ payload: ByteBuffer, chunked: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard chunked else { return payload }
        var buffer = allocator.buffer(capacity: payload.readableBytes + 16)
        buffer.writeString(String(payload.readableBytes, radix: 16))
        buffer.writeStaticString("\r\n")
        buffer.writeImmutableBuffer(payload)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// The last chunk of a chunked body.
    static let lastChunk: StaticString = "0\r\n\r\n"
}
