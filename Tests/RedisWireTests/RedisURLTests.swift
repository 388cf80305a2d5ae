import RedisWire
import Testing

@Suite("Redis URLs")
struct RedisURLTests {
    @Test("host only uses the defaults")
    func hostOnly() throws {
        let url = try RedisURL(parsing: "redis://cache.internal")
        #expect(url == RedisURL(host: "cache.internal", port: 6379, user: nil, password: nil, database: 0))
    }

    @Test("user, password, port and database")
    func everything() throws {
        let url = try RedisURL(parsing: "redis://front:s3cr%40t@10.0.0.5:6380/2")
        #expect(url == RedisURL(host: "10.0.0.5", port: 6380, user: "front", password: "s3cr@t", database: 2))
        #expect(url.description == "redis://front:***@10.0.0.5:6380/2")
    }

    @Test("password without a user authenticates the default user")
    func passwordOnly() throws {
        let url = try RedisURL(parsing: "redis://:pw@localhost")
        #expect(url.user == nil)
        #expect(url.password == "pw")
    }

    @Test("IPv6 literal")
    func ipv6() throws {
        let url = try RedisURL(parsing: "redis://[::1]:7000/1")
        #expect(url.host == "::1")
        #expect(url.port == 7000)
        #expect(url.database == 1)
        #expect(url.description == "redis://[::1]:7000/1")
    }

    @Test(
        "malformed URLs are refused with a reason",
        arguments: [
            "localhost:6379", "http://localhost", "rediss://localhost", "redis://", "redis://host:port",
            "redis://host:0", "redis://host:70000", "redis://host/db", "redis://host/-1", "redis://u:%zz@host",
            "redis://[::1",
        ]
    )
    func refused(text: String) {
        #expect(throws: RedisURLError.self) { try RedisURL(parsing: text) }
    }

    @Test("errors never show the password")
    func errorsHidePasswords() {
        do {
            _ = try RedisURL(parsing: "redis://user:topsecret@host:notaport")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("topsecret"))
        }
    }
}
