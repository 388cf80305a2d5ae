import Testing

@testable import JobStatusServer

@Suite("Host authority")
struct HostAuthorityTests {
    @Test(
        "authority-shaped values are accepted",
        arguments: [
            "api.example.com", "api.example.com:8080", "localhost", "127.0.0.1:80", "[::1]", "[::1]:8080", "[2001:db8::7]",
            "[::ffff:192.0.2.1]:443", "xn--80ak6aa92e.com", "my_host", "a%2Db", "host:", "a!$&'()*+,;=b",
        ]
    )
    func accepted(_ value: String) {
        #expect(HostAuthority.isValid(value), "\(value)")
    }

    @Test(
        "anything else is refused (meta.url then names the configured default)",
        arguments: [
            "", ":80", "evil.com/path", "a?b", "a#b", "user@host", "a b", "\"quoted\"", "a<b>", "a\\b", "[::1", "[]", "[::g]",
            "[::1]x", "host:80a", "host:123456", "a%2", "a%zz", "é.example", "a{b}", "a\tb", "host:80:81",
        ]
    )
    func refused(_ value: String) {
        #expect(!HostAuthority.isValid(value), "\(value)")
    }
}
