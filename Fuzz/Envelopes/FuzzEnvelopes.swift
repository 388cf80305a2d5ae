import Foundation
import FuzzSupport
import JobStatusCore
import NIOCore

/// libFuzzer target: any stored record, any caller, any If-None-Match. Whatever the record
/// holds, the envelope the front writes must be valid JSON whose `data` has only the documented
/// keys. Input: the fields of the record, the caller and the condition, separated by 0x00.
/// The process entry point (see `runFuzzer`).
@_cdecl("FuzzEnvelopes_main")
public func fuzzEnvelopesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc: argc, argv: argv, fuzzEnvelopes)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEnvelopes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let parts = input.split(separator: 0, maxSplits: JobRecordField.allCases.count + 2, omittingEmptySubsequences: false)
    var record = JobRecordView()
    var storage: [[UInt8]] = parts.map { Array($0) }
    while storage.count < JobRecordField.allCases.count + 2 { storage.append([]) }
    return storage.withUnsafeBufferPointerOfBuffers { buffers in
        for field in JobRecordField.allCases where !storage[field.rawValue].isEmpty || field == .status {
            record[field] = buffers[field.rawValue]
        }
        let caller = storage[JobRecordField.allCases.count].isEmpty ? nil : buffers[JobRecordField.allCases.count]
        let condition = storage[JobRecordField.allCases.count + 1].isEmpty ? nil : buffers[JobRecordField.allCases.count + 1]
        guard case .found(let job) = JobReadOutcome.decide(record, caller: caller, ifNoneMatch: condition) else { return 0 }
        var envelope = ByteBuffer()
        let meta = EnvelopeMeta(scheme: "http", host: String(decoding: storage[0].prefix(8), as: UTF8.self), path: "/api/jobs/x", requestID: "r")
        Array("NBXk9EyErUZv1RhXgyvgg".utf8).withUnsafeBytes { id in
            EnvelopeWriter.writeJob(job, id: id, meta: meta, into: &envelope)
        }
        let text = Data(envelope.readableBytesView)
        guard let json = try? JSONSerialization.jsonObject(with: text) as? [String: Any],
            let payload = json["data"] as? [String: Any]
        else {
            fatalError("the envelope is not valid JSON: \(String(decoding: text, as: UTF8.self))")
        }
        let allowed: Set<String> = ["status", "eta", "status_code", "links", "response_data", "error"]
        guard Set(payload.keys).isSubset(of: allowed) else { fatalError("data has extra keys: \(payload.keys)") }
        return 0
    }
}

extension Array where Element == [UInt8] {
    /// Stable raw pointers to every element at once, for as long as `body` runs.
    fileprivate func withUnsafeBufferPointerOfBuffers<Result>(_ body: ([UnsafeRawBufferPointer]) -> Result) -> Result {
        let total = self.reduce(0) { $0 + $1.count }
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(total, 1), alignment: 1)
        defer { block.deallocate() }
        var offset = 0
        var buffers: [UnsafeRawBufferPointer] = []
        for bytes in self {
            let slice = UnsafeMutableRawBufferPointer(rebasing: block[offset..<(offset + bytes.count)])
            slice.copyBytes(from: bytes)
            buffers.append(UnsafeRawBufferPointer(slice))
            offset += bytes.count
        }
        return body(buffers)
    }
}
