import ArgumentParser
import JobStatusWriter

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print the stored record of a job as JSON (exit 2 when it does not exist)."
    )

    @Argument(help: "The job id.")
    var id: String

    @OptionGroup var writer: WriterOptions

    func run() async throws {
        let record = try await self.writer.withWriter { writer throws(JobWriteError) in
            try await writer.get(id: self.id)
        }
        guard let record else {
            WriterOptions.report("job \(self.id) not found")
            throw ExitStatus.notFound
        }
        print(record.jsonText)
    }
}
