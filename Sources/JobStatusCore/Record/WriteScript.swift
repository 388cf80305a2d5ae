/// The write script (`Resources/jobstatus_write.lua`), embedded in the binary so that the writer
/// and the documentation's other-language examples run the very same file.
public enum WriteScript {
    /// The Lua source, byte for byte as in the repository.
    public static let source: String = String(decoding: PackageResources.jobstatus_write_lua, as: UTF8.self)

    /// The operations the script accepts as its first argument.
    public enum Operation: String, Sendable {
        case create
        case progress
        case processed
        case failed
        case failedWithError = "failed_with_error"
    }

    /// The error codes the script answers with (the first word of its error reply).
    public enum ErrorCode: String, Sendable {
        /// An argument breaks the contract (bad eta, bad JSON shape, unknown argument, …).
        case invalid = "INVALID"
        /// `create` on an id that is already taken.
        case exists = "EXISTS"
        /// The job was never created or has expired.
        case notFound = "NOTFOUND"
        /// The transition is not allowed (a terminal state is final).
        case refused = "REFUSED"
        /// links + response_data + error exceed 64 KiB.
        case tooLarge = "TOOLARGE"
    }

    /// The most bytes that links, response_data and error may take together: `MAX_PAYLOAD_BYTES`
    /// in the script, read from it.
    public static let maximumPayloadBytes = Int(Self.integerConstant("MAX_PAYLOAD_BYTES"))

    /// The longest TTL a record may be given, in seconds (ten years): `MAX_TTL_SECONDS` in the script, read from it.
    public static let maximumTTLSeconds = Self.integerConstant("MAX_TTL_SECONDS")

    /// The value of `local NAME = <digits>` in the script. The script is embedded in the binary,
    /// so a missing constant is a build defect, caught by the tests before it ships.
    static func integerConstant(_ name: String) -> Int64 {
        for line in Self.source.split(separator: "\n") where line.hasPrefix("local \(name) = ") {
            if let value = Int64(line.dropFirst("local \(name) = ".count).trimmingBlanks()) {
                return value
            }
        }
        preconditionFailure("the write script defines no integer \(name)")
    }
}
