import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// Counts open HTTP connections per peer address against `limits.max_connections_per_address`,
/// so that one address — a flood of silent sockets — cannot hold every slot of the instance
/// while other addresses are still served.
///
/// Consulted once per accepted connection and once per closed one, from any event loop; an
/// address's entry goes when its last connection does, so the table holds only live peers.
final class AddressConnectionCounter: Sendable {
    private let limit: Int
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place for a new connection from `address`; false when it has none left.
    func open(_ address: String) -> Bool {
        self.counts.withLockedValue { counts in
            let open = counts[address, default: 0]
            guard open < self.limit else { return false }
            counts[address] = open + 1
            return true
        }
    }

    func close(_ address: String) {
        self.counts.withLockedValue { counts in
            guard let open = counts[address] else { return }
            counts[address] = open > 1 ? open - 1 : nil
        }
    }

    /// Whom a connection counts against: its IPv4 address, or the /64 network of its IPv6 address
    /// (one client is handed a whole /64, and would otherwise have 2^64 addresses to spread over).
    static func key(of address: SocketAddress?) -> String {
        guard case .v6(let v6) = address else { return address?.ipAddress ?? "unknown" }
        let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            // An IPv4 address mapped into IPv6: the IPv4 address it is.
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return bytes[0..<8].map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// The connections `address` holds (for tests).
    func openCount(_ address: String) -> Int {
        self.counts.withLockedValue { $0[address, default: 0] }
    }
}
