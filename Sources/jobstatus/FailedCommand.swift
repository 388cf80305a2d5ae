import ArgumentParser
import JobStatusWriter

struct FailedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failed",
        abstract: "Fail a job with an expected error (403, 404, 409, 422, …).",
        discussion: """
            --error text that parses as a JSON object or array is taken as JSON, which must be an \
            object {"type", "message"} (with "invalid": [...] for 422); anything else is a message, \
            stored as a JSON string. As the eHealth API shows them, a 409 message is stored as \
            {"type": "request_conflict", "message": …} and a 500 message as {"type": \
            "internal_error", "message": …}; 422 needs the validation object {"type", "message", \
            "invalid": [...]}.
            """
    )

    @Argument(help: "The job id.")
    var id: String

    @Option(help: "The HTTP status the job's request would have had, 400–599.")
    var statusCode: Int

    @Option(help: "The error: a message, or a JSON object.")
    var error: String

    @Option(help: "How long the record stays readable (default: $JOBS_TERMINAL_TTL, else 7d).")
    var ttl: String?

    @OptionGroup var writer: WriterOptions

    func run() async throws {
        let ttl = try ArgumentParsing.duration(self.ttl, option: "--ttl")
        let failure = JobFailure(interpreting: self.error)
        let result = try await self.writer.withWriter { writer throws(JobWriteError) in
            try await writer.failed(id: self.id, statusCode: self.statusCode, error: failure, ttl: ttl)
        }
        print("\(result.outcome.rawValue) (version \(result.version))")
    }
}
