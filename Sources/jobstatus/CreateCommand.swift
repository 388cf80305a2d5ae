import ArgumentParser
import JobStatusWriter

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a pending job and print its id."
    )

    @Option(help: "The job id, [A-Za-z0-9_-]{1,64} (default: 128 random bits in base62).")
    var id: String?

    @Option(help: "The client id allowed to read the job (default: anyone with job:read).")
    var owner: String?

    @Option(help: "When the job should finish: a duration (90s) or an RFC 3339 time (default: $JOBS_DEFAULT_ETA, else 60s).")
    var eta: String?

    @Option(help: "How long the pending record lives without progress (default: $JOBS_PENDING_TTL, else 24h).")
    var ttl: String?

    @OptionGroup var writer: WriterOptions

    func run() async throws {
        let eta = try ArgumentParsing.eta(self.eta)
        let ttl = try ArgumentParsing.duration(self.ttl, option: "--ttl")
        let result = try await self.writer.withWriter { writer throws(JobWriteError) in
            try await writer.create(id: self.id, owner: self.owner, eta: eta, ttl: ttl)
        }
        print(result.id)
    }
}
