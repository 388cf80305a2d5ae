/// The stored fields of one job, borrowed from wherever they were read (a Redis reply on the
/// front's hot path, an owned copy in tests). Nothing is copied or decoded until needed.
public struct JobRecordView {
    private var fields: (
        UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?,
        UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?,
        UnsafeRawBufferPointer?
    ) = (nil, nil, nil, nil, nil, nil, nil, nil, nil)

    public init() {}

    public subscript(field: JobRecordField) -> UnsafeRawBufferPointer? {
        get {
            switch field {
            case .status: self.fields.0
            case .eta: self.fields.1
            case .statusCode: self.fields.2
            case .links: self.fields.3
            case .responseData: self.fields.4
            case .error: self.fields.5
            case .owner: self.fields.6
            case .version: self.fields.7
            case .createdAt: self.fields.8
            }
        }
        set {
            switch field {
            case .status: self.fields.0 = newValue
            case .eta: self.fields.1 = newValue
            case .statusCode: self.fields.2 = newValue
            case .links: self.fields.3 = newValue
            case .responseData: self.fields.4 = newValue
            case .error: self.fields.5 = newValue
            case .owner: self.fields.6 = newValue
            case .version: self.fields.7 = newValue
            case .createdAt: self.fields.8 = newValue
            }
        }
    }

    /// True when no field is stored: the record does not exist (unknown id or expired).
    public var isEmpty: Bool {
        JobRecordField.allCases.allSatisfy { self[$0] == nil }
    }
}
