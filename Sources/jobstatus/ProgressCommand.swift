import ArgumentParser
import JobStatusWriter

struct ProgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Refresh a pending job's TTL, and its eta when given."
    )

    @Argument(help: "The job id.")
    var id: String

    @Option(help: "The new eta: a duration (90s) or an RFC 3339 time.")
    var eta: String?

    @Option(help: "How long the pending record lives from now (default: $JOBS_PENDING_TTL, else 24h).")
    var ttl: String?

    @OptionGroup var writer: WriterOptions

    func run() async throws {
        let eta = try ArgumentParsing.eta(self.eta)
        let ttl = try ArgumentParsing.duration(self.ttl, option: "--ttl")
        let result = try await self.writer.withWriter { writer throws(JobWriteError) in
            try await writer.progress(id: self.id, eta: eta, ttl: ttl)
        }
        print("\(result.outcome.rawValue) (version \(result.version))")
    }
}
