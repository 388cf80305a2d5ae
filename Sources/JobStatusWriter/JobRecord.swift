public import JobStatusCore
import NIOCore

/// A whole stored record, as `jobstatus get` prints it.
public struct JobRecord: Sendable, Equatable {
    public let id: String
    /// Every hash field, as stored.
    public let fields: [String: String]
    /// Seconds until the record expires; nil when it has no expiry.
    public let ttlSeconds: Int64?

    public init(id: String, fields: [String: String], ttlSeconds: Int64?) {
        self.id = id
        self.fields = fields
        self.ttlSeconds = ttlSeconds
    }

    public var status: JobStatus? { self.fields["status"].flatMap(JobStatus.init(rawValue:)) }

    private static let jsonFields: Set<String> = ["links", "response_data", "error"]
    private static let numberFields: Set<String> = ["version", "created_at", "updated_at"]

    /// One JSON object: the id, the fields in contract order (JSON fields embedded as JSON,
    /// counters as numbers), any unknown fields, and the remaining TTL.
    public var jsonText: String {
        var buffer = ByteBuffer()
        buffer.writeStaticString(#"{"id":"#)
        buffer.writeJSONString(self.id)
        let known = JobRecordField.allStoredNames
        let unknown = self.fields.keys.filter { !known.contains($0) }.sorted()
        for name in known + unknown {
            guard let value = self.fields[name] else { continue }
            buffer.writeStaticString(",")
            buffer.writeJSONString(name)
            buffer.writeStaticString(":")
            if Self.jsonFields.contains(name), JSONScanner.validate(value) != nil {
                buffer.writeString(value)
            } else if Self.numberFields.contains(name), let number = Int64(value) {
                buffer.writeString(String(number))
            } else {
                buffer.writeJSONString(value)
            }
        }
        if let ttlSeconds = self.ttlSeconds {
            buffer.writeStaticString(#","ttl":"#)
            buffer.writeString(String(ttlSeconds))
        }
        buffer.writeStaticString("}")
        return String(buffer: buffer)
    }
}
