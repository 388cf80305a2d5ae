import JobStatusCore
import NIOCore

/// An owned copy of a pending job's record as one read found it, for a held job list to answer
/// from while the job's subscription shows it unchanged (`JobVersionBook`). Only pending records
/// are kept: they are small (no payload), and they are what a list asked again is made of.
final class CachedRecord: Sendable {
    private let fields: [[UInt8]?]
    /// The record's version (the write script counts every write).
    let version: Int64
    /// When it was read: a cached record older than `JobVersionBook.maximumAge` is read again,
    /// so that what changes without a write (an expiry, a `DEL`) shows within that time.
    let readAt: NIODeadline

    /// A copy of `record` if it is a pending record with a version; nil otherwise.
    init?(_ record: JobRecordView, readAt: NIODeadline) {
        guard let status = record[.status], status.equals("pending"),
            let version = EntityTag(version: record[.version], createdAt: record[.createdAt])?.versionNumber
        else { return nil }
        self.fields = JobRecordField.allCases.map { record[$0].map(Array.init) }
        self.version = version
        self.readAt = readAt
    }

    /// Calls `body` with a view of the copy.
    func withView<Result>(_ body: (JobRecordView) -> Result) -> Result {
        var view = JobRecordView()
        return Self.borrow(self.fields[...], into: &view, body)
    }

    /// Borrows each field in turn (nested, so every pointer stays valid during `body`).
    private static func borrow<Result>(
        _ fields: ArraySlice<[UInt8]?>,
        into view: inout JobRecordView,
        _ body: (JobRecordView) -> Result
    ) -> Result {
        guard let first = fields.first else { return body(view) }
        let field = JobRecordField(rawValue: fields.startIndex)!
        guard let bytes = first else { return Self.borrow(fields.dropFirst(), into: &view, body) }
        return bytes.withUnsafeBytes { pointer in
            view[field] = pointer
            return Self.borrow(fields.dropFirst(), into: &view, body)
        }
    }
}
