import Testing

@testable import RedisWire

@Suite("Redis error replies")
struct RedisErrorReplyTests {
    static let table: [(reply: String, code: RedisErrorCode, detail: String)] = [
        ("WRONGTYPE Operation against a key holding the wrong kind of value", .wrongType, "Operation against a key holding the wrong kind of value"),
        ("LOADING Redis is loading the dataset in memory", .loading, "Redis is loading the dataset in memory"),
        ("MOVED 3999 127.0.0.1:6381", .moved, "3999 127.0.0.1:6381"),
        ("ASK 3999 127.0.0.1:6381", .ask, "3999 127.0.0.1:6381"),
        ("READONLY You can't write against a read only replica.", .readOnly, "You can't write against a read only replica."),
        ("NOSCRIPT No matching script. Please use EVAL.", .noScript, "No matching script. Please use EVAL."),
        ("WRONGPASS invalid username-password pair or user is disabled.", .wrongPass, "invalid username-password pair or user is disabled."),
        ("NOAUTH Authentication required.", .noAuth, "Authentication required."),
        ("NOPERM this user has no permissions to run the 'hgetall' command", .noPerm, "this user has no permissions to run the 'hgetall' command"),
        ("CLUSTERDOWN The cluster is down", .clusterDown, "The cluster is down"),
        ("ERR unknown command 'x'", .err, "unknown command 'x'"),
        ("REFUSED pending -> processed is not allowed", .other("REFUSED"), "pending -> processed is not allowed"),
        // Codes are words: a longer word is another code, and a code alone has no detail.
        ("LOADINGX y", .other("LOADINGX"), "y"),
        ("MOVED", .moved, ""),
        ("", .other(""), ""),
    ]

    @Test("each reply parses into its code and the rest, once")
    func parses() {
        for row in Self.table {
            let reply = RedisErrorReply(row.reply)
            #expect(reply.code == row.code, "\(row.reply)")
            #expect(reply.detail == row.detail, "\(row.reply)")
            #expect(reply.message == row.reply)
            #expect(reply.code.name == row.reply.prefix { $0 != " " }.description, "\(row.reply)")
        }
    }

    @Test("a server error carries its reply; the client's own errors carry none")
    func serverError() {
        #expect(RedisError.server(RedisErrorReply("NOSCRIPT x")).serverError?.code == .noScript)
        #expect(RedisError.timeout.serverError == nil)
        #expect(RedisError.server(RedisErrorReply("ERR boom")).description == "ERR boom")
    }
}
