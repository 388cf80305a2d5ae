import ArgumentParser
import JobStatusWriter

struct ProcessedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "processed",
        abstract: "Complete a job: with the links it produced (polls answer 303), or with inline response data (200)."
    )

    @Argument(help: "The job id.")
    var id: String

    @Option(name: .customLong("link"), help: "A produced resource as ENTITY=HREF; repeat for several.")
    var links: [String] = []

    @Option(help: "The inline result, as JSON (instead of --link).")
    var responseData: String?

    @Option(help: "How long the record stays readable (default: $JOBS_TERMINAL_TTL, else 7d).")
    var ttl: String?

    @OptionGroup var writer: WriterOptions

    func validate() throws {
        guard self.links.isEmpty != (self.responseData == nil) else {
            throw ValidationError("give either --link ENTITY=HREF (one or more) or --response-data JSON")
        }
    }

    func run() async throws {
        let ttl = try ArgumentParsing.duration(self.ttl, option: "--ttl")
        let links = try self.links.map { text in
            guard let link = JobLink(parsing: text) else {
                throw ValidationError("--link must be ENTITY=HREF, not \"\(text)\"")
            }
            return link
        }
        let result = try await self.writer.withWriter { writer throws(JobWriteError) in
            if let responseData = self.responseData {
                return try await writer.processed(id: self.id, responseData: responseData, ttl: ttl)
            }
            return try await writer.processed(id: self.id, links: links, ttl: ttl)
        }
        print("\(result.outcome.rawValue) (version \(result.version))")
    }
}
