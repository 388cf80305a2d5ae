import JobStatusCore
import NIOCore
import RedisWire

/// The one Redis command a poll costs: `HMGET <prefix><id> status eta status_code links
/// response_data error owner version`, and the view of its reply.
enum JobRecordQuery {
    private static let fieldCount = JobRecordField.allCases.count

    /// Calls `body` with the job key, `prefix` + `id`, assembled on the stack.
    static func withKey<Result>(
        prefix: [UInt8],
        id: UnsafeRawBufferPointer,
        _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(byteCount: prefix.count + id.count, alignment: 1) { key in
            prefix.withUnsafeBytes { key.copyMemory(from: $0) }
            UnsafeMutableRawBufferPointer(rebasing: key[prefix.count...]).copyMemory(from: id)
            return body(UnsafeRawBufferPointer(key))
        }
    }

    /// Encodes the command for `key` without building Swift strings.
    static func encode(key: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        let command: StaticString = "HMGET"
        withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: 2 + self.fieldCount) { arguments in
            arguments[0] = UnsafeRawBufferPointer(start: command.utf8Start, count: command.utf8CodeUnitCount)
            arguments[1] = key
            for field in JobRecordField.allCases {
                arguments[2 + field.rawValue] = UnsafeRawBufferPointer(
                    start: field.name.utf8Start,
                    count: field.name.utf8CodeUnitCount
                )
            }
            RedisCommandEncoder.encode(arguments: UnsafeBufferPointer(arguments), into: &buffer)
        }
    }

    /// The record fields of an `HMGET` reply, borrowed from it; nil if the reply is not the
    /// array the command produces.
    static func view(of reply: RedisReply) -> JobRecordView? {
        guard reply.kind == .array, reply.count == self.fieldCount else { return nil }
        var view = JobRecordView()
        for field in JobRecordField.allCases {
            let element = reply[field.rawValue]
            if element.kind == .bulkString {
                view[field] = element.bytes
            }
        }
        return view
    }
}
