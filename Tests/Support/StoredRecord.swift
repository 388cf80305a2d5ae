public import JobStatusCore

/// A record held in memory for tests, handing out the same borrowed view the front builds from
/// a Redis reply.
public final class StoredRecord {
    private var allocations: [UnsafeMutableRawBufferPointer] = []
    public private(set) var view = JobRecordView()

    public init(_ fields: [JobRecordField: String]) {
        for (field, value) in fields {
            let bytes = Array(value.utf8)
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            storage.copyBytes(from: bytes)
            self.allocations.append(storage)
            self.view[field] = UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count])
        }
    }

    deinit {
        for storage in self.allocations {
            storage.deallocate()
        }
    }
}
