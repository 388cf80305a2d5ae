import ArgumentParser
import JobStatusCore

@main
struct JobStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobstatus",
        abstract: "Redis-backed job status: the HTTP front and the worker commands.",
        discussion: """
            Exit codes: 0 success, 1 unexpected failure, 2 job not found, 3 transition refused, \
            4 Redis unavailable, 5 not replicated (--durability replicated), 64 usage error or \
            invalid input, 78 unusable configuration.
            """,
        version: JobStatusVersion.current,
        subcommands: [
            ServeCommand.self, CreateCommand.self, ProgressCommand.self, ProcessedCommand.self,
            FailedCommand.self, FailedWithErrorCommand.self, GetCommand.self,
        ]
    )
}
