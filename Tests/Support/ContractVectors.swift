import Foundation
public import JobStatusCore
import NIOCore

/// `Tests/Vectors/record-contract.json`: the record contract as data, read by both sides that
/// check it — the write script in Redis (end to end) and the front's Swift checks (unit tests).
public struct ContractVectors {
    public struct Write {
        public let name: String
        public let op: String
        /// Argument names and values (the script takes them in any order).
        public let args: [(name: String, value: [UInt8])]
        /// `accepted`, or the error code the script answers (`INVALID`, `TOOLARGE`).
        public let verdict: String
        /// What a poll serves, when the vector says.
        public let servedETA: String?
        public let servedError: Any?
        public let ttlSeconds: Int?
        /// How deep the served documents nest: the job's envelope and a job list's.
        public let servedDepth: ServedDepth?

        public var isAccepted: Bool { self.verdict == "accepted" }

        public func argument(_ name: String) -> [UInt8]? {
            self.args.first { $0.name == name }?.value
        }

        /// The argument as text, when it is UTF-8 (Swift APIs cannot even express the rest).
        public func text(_ name: String) -> String? {
            self.argument(name).flatMap { String(validating: $0, as: UTF8.self) }
        }
    }

    /// Levels of JSON nesting of the documents that serve one record.
    public struct ServedDepth: Equatable, CustomStringConvertible {
        /// `GET /api/jobs/{id}`: `{"data": {…}, "meta": …}`.
        public let job: Int
        /// `GET /api/jobs?ids=…`: `{"data": [{…}], "meta": …}`.
        public let list: Int

        public var description: String { "job \(self.job), list \(self.list)" }
    }

    public struct ID {
        public let name: String
        public let id: String
        public let valid: Bool
    }

    public let maximumTTLSeconds: Int64
    public let maximumPayloadBytes: Int
    /// `JSONScanner.maximumDepth` and the script's `MAX_DEPTH`.
    public let maximumJSONDepth: Int
    /// The deepest any served document may nest: what clients' parsers read.
    public let maximumServedDepth: Int
    /// `RFC3339.maximumLength` and the script's `MAX_ETA_BYTES`.
    public let maximumETABytes: Int
    public let writes: [Write]
    public let ids: [ID]

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
    static let path = "\(repository)/Tests/Vectors/record-contract.json"

    public static func load() throws -> ContractVectors {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.path))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let writes = root["writes"] as? [[String: Any]], let ids = root["ids"] as? [[String: Any]]
        else { throw ContractVectorError("\(Self.path) is not the vectors file") }
        return ContractVectors(
            maximumTTLSeconds: (root["maximum_ttl_seconds"] as? NSNumber)?.int64Value ?? 0,
            maximumPayloadBytes: (root["maximum_payload_bytes"] as? NSNumber)?.intValue ?? 0,
            maximumJSONDepth: (root["maximum_json_depth"] as? NSNumber)?.intValue ?? 0,
            maximumServedDepth: (root["maximum_served_depth"] as? NSNumber)?.intValue ?? 0,
            maximumETABytes: (root["maximum_eta_bytes"] as? NSNumber)?.intValue ?? 0,
            writes: try writes.map { entry in
                let args = entry["args"] as? [String: Any] ?? [:]
                return Write(
                    name: entry["name"] as? String ?? "?",
                    op: entry["op"] as? String ?? "?",
                    args: try args.keys.sorted().map { name in (name, try Self.bytes(args[name] as Any)) },
                    verdict: entry["verdict"] as? String ?? "?",
                    servedETA: entry["served_eta"] as? String,
                    servedError: entry["served_error"],
                    ttlSeconds: (entry["ttl_seconds"] as? NSNumber)?.intValue,
                    servedDepth: (entry["served_depth"] as? [String: Any]).map { depth in
                        ServedDepth(job: (depth["job"] as? NSNumber)?.intValue ?? -1, list: (depth["list"] as? NSNumber)?.intValue ?? -1)
                    }
                )
            },
            ids: ids.map { ID(name: $0["name"] as? String ?? "?", id: $0["id"] as? String ?? "", valid: $0["valid"] as? Bool ?? false) }
        )
    }

    /// A value: a string, or `{"parts": [...]}` of strings, `{"hex": "…"}` and `{"repeat": "…", "count": n}`.
    static func bytes(_ value: Any) throws -> [UInt8] {
        if let text = value as? String { return Array(text.utf8) }
        guard let object = value as? [String: Any] else { throw ContractVectorError("not a vector value: \(value)") }
        if let parts = object["parts"] as? [Any] {
            return try parts.flatMap { try Self.bytes($0) }
        }
        if let hex = object["hex"] as? String {
            let digits = Array(hex.utf8)
            return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
        }
        if let unit = object["repeat"] as? String, let count = object["count"] as? Int {
            return Array(String(repeating: unit, count: count).utf8)
        }
        throw ContractVectorError("not a vector value: \(value)")
    }
}

/// `fields` as the borrowed view the front builds from a Redis reply, for the length of `body`.
public func withRecordView<Result>(_ fields: [JobRecordField: [UInt8]], _ body: (JobRecordView) -> Result) -> Result {
    var view = JobRecordView()
    let storage = fields.mapValues { bytes -> UnsafeMutableRawBufferPointer in
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        buffer.copyBytes(from: bytes)
        return buffer
    }
    defer { storage.values.forEach { $0.deallocate() } }
    for (field, buffer) in storage {
        view[field] = UnsafeRawBufferPointer(rebasing: buffer[0..<fields[field]!.count])
    }
    return body(view)
}

/// The record the front would read if `fields` were stored: what the front's checks say of it.
public func frontVerdict(_ fields: [JobRecordField: [UInt8]]) -> JobReadOutcome.Verdict {
    withRecordView(fields) { JobReadOutcome.decide($0, caller: nil).verdict }
}

/// How deep the documents that would serve `fields` nest, the job's envelope and a job list's
/// with the record as its one item; nil when the front would not serve the record.
public func servedDepth(_ fields: [JobRecordField: [UInt8]]) -> ContractVectors.ServedDepth? {
    withRecordView(fields) { (view: JobRecordView) -> ContractVectors.ServedDepth? in
        guard case .found(let job) = JobReadOutcome.decide(view, caller: nil) else { return nil }
        let meta = EnvelopeMeta(scheme: "http", host: "x", path: "/api/jobs", requestID: "r")
        var single = ByteBuffer()
        var list = ByteBuffer()
        Array("job1".utf8).withUnsafeBytes { id in
            EnvelopeWriter.writeJob(job, id: id, meta: meta, into: &single)
            EnvelopeWriter.writeList(meta: meta, into: &list) { EnvelopeWriter.writeListItem(job, id: id, into: &$0) }
        }
        return ContractVectors.ServedDepth(job: nestingDepth(single.readableBytesView), list: nestingDepth(list.readableBytesView))
    }
}

/// The deepest nesting of objects and arrays in JSON text (brackets inside strings skipped).
public func nestingDepth(_ text: some Sequence<UInt8>) -> Int {
    var depth = 0
    var deepest = 0
    var inString = false
    var escaped = false
    for byte in text {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            depth += 1
            deepest = max(deepest, depth)
        case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
        default: break
        }
    }
    return deepest
}

extension JobReadOutcome {
    /// What a poll of the record answers, as a value that outlives the record.
    public enum Verdict {
        /// The envelope's status and `data`, parsed back.
        case served(status: Int, data: [String: Any])
        case notFound
        case brokenRecord(String)

        public var isServed: Bool {
            if case .served = self { return true }
            return false
        }
    }

    public var verdict: Verdict {
        switch self {
        case .notFound, .notModified:
            return .notFound
        case .contractViolation(let reason):
            return .brokenRecord(reason)
        case .found(let job):
            var buffer = ByteBuffer()
            EnvelopeWriter.writeJob(job, id: UnsafeRawBufferPointer(start: nil, count: 0), meta: EnvelopeMeta(scheme: "http", host: "x", path: "/", requestID: "r"), into: &buffer)
            let envelope = (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any]
            let data = (envelope?["data"] as? [String: Any]) ?? [:]
            return .served(status: job.httpStatus, data: data)
        }
    }
}

/// Two JSON values compared as JSON (key order aside).
public func jsonEqual(_ lhs: Any?, _ rhs: Any?) -> Bool {
    guard let lhs, let rhs else { return lhs == nil && rhs == nil }
    let options: JSONSerialization.WritingOptions = [.sortedKeys, .fragmentsAllowed]
    return (try? JSONSerialization.data(withJSONObject: lhs, options: options)) == (try? JSONSerialization.data(withJSONObject: rhs, options: options))
}

/// The vectors file is missing or not what it should be.
public struct ContractVectorError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
