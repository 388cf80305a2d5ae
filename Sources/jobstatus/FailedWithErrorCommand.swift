import ArgumentParser
import JobStatusWriter

struct FailedWithErrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failed-with-error",
        abstract: "Fail a job with a system error (status_code 500, {type: internal_error, message})."
    )

    @Argument(help: "The job id.")
    var id: String

    @Option(help: "What went wrong.")
    var message: String

    @Option(help: "How long the record stays readable (default: $JOBS_TERMINAL_TTL, else 7d).")
    var ttl: String?

    @OptionGroup var writer: WriterOptions

    func run() async throws {
        let ttl = try ArgumentParsing.duration(self.ttl, option: "--ttl")
        let result = try await self.writer.withWriter { writer throws(JobWriteError) in
            try await writer.failedWithError(id: self.id, message: self.message, ttl: ttl)
        }
        print("\(result.outcome.rawValue) (version \(result.version))")
    }
}
