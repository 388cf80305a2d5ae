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

    @Test("rediss:// is TLS; the description keeps the scheme and masks the password")
    func tls() throws {
        let url = try RedisURL(parsing: "REDISS://default:pw@cache.example.com:6380")
        #expect(url == RedisURL(host: "cache.example.com", port: 6380, user: "default", password: "pw", tls: true))
        #expect(url.description == "rediss://default:***@cache.example.com:6380")
        #expect(try RedisURL(parsing: "redis://cache").tls == false)
    }

    @Test("a configuration for a rediss:// URL speaks TLS with full verification even when given no TLS settings")
    func tlsDefaults() throws {
        let configuration = RedisConnectionConfiguration(url: try RedisURL(parsing: "rediss://cache"))
        #expect(configuration.tls == RedisTLSConfiguration(verification: .full))
        #expect(RedisConnectionConfiguration(url: try RedisURL(parsing: "redis://cache")).tls == nil)
    }

    @Test(
        "hosts that are addresses get no SNI (NIOSSL checks the address instead); names do",
        arguments: [("127.0.0.1", true), ("::1", true), ("10.0.0.256", false), ("cache.internal", false), ("1.2.3", false)]
    )
    func addresses(host: String, isAddress: Bool) {
        #expect(RedisURL(host: host).hostIsAddress == isAddress)
    }

    @Test(
        "malformed URLs are refused with a reason",
        arguments: [
            "localhost:6379", "http://localhost", "redisss://localhost", "rediss://", "redis://", "redis://host:port",
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
        do {
            _ = try RedisURL(parsing: "rediss://user:topsecret@host:notaport")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("topsecret"))
            #expect(error.description.contains("rediss://…@host:notaport"))
        }
    }
}
