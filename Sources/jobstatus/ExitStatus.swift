import ArgumentParser
import JobStatusWriter

/// The documented exit codes of every subcommand (README, "Exit codes").
enum ExitStatus {
    /// Something unforeseen (a reply outside the contract, an I/O error).
    static let failure = ExitCode(1)
    /// The job does not exist (never created, or expired).
    static let notFound = ExitCode(2)
    /// The transition is not allowed: the id is taken, or the job is already terminal.
    static let refused = ExitCode(3)
    /// Redis cannot be reached or did not answer in time.
    static let redisUnavailable = ExitCode(4)
    /// `--durability replicated`: the write is on the primary, but no replica acknowledged it.
    static let notReplicated = ExitCode(5)
    /// Bad arguments or input that breaks the record contract (EX_USAGE, as ArgumentParser uses).
    static let usage = ExitCode(64)
    /// Configuration that cannot be used (EX_CONFIG).
    static let configuration = ExitCode(78)

    static func code(for error: JobWriteError) -> ExitCode {
        switch error {
        case .invalidArgument: usage
        case .notFound: notFound
        case .refused: refused
        case .redisUnavailable: redisUnavailable
        case .unexpectedReply: failure
        case .notReplicated: notReplicated
        }
    }
}
