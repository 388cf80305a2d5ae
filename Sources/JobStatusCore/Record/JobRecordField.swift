/// The hash fields of a job record that the front reads, in the order it asks for them with
/// `HMGET`, so a reply element is found by position instead of by name.
///
/// `docs/record-contract.md` describes every field, including `updated_at`, which only the write
/// script and `jobstatus get` use.
public enum JobRecordField: Int, CaseIterable, Sendable {
    case status
    case eta
    case statusCode
    case links
    case responseData
    case error
    case owner
    case version
    case createdAt

    /// The field name inside the Redis hash.
    public var name: StaticString {
        switch self {
        case .status: "status"
        case .eta: "eta"
        case .statusCode: "status_code"
        case .links: "links"
        case .responseData: "response_data"
        case .error: "error"
        case .owner: "owner"
        case .version: "version"
        case .createdAt: "created_at"
        }
    }

    /// Every field the write script may set, for readers that want the whole record.
    public static let allStoredNames: [String] = allCases.map { "\($0.name)" } + ["updated_at"]
}
