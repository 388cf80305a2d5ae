import NIOHTTP1

/// A request's head as the front reads it: the request line, whether the connection stays open,
/// and the header lines the planner decides on, gathered as the parser meets them. Every other
/// line is checked by the parser and dropped: no string is made of it.
///
/// A class: the connection's machine passes a head along (its queue, its actions, a wait for the
/// JWT keys), and a value of a dozen strings would retain each of them at every step.
final class RequestHead {
    let method: HTTPMethod
    let version: HTTPVersion
    /// The request target as sent (origin form: the path and the query).
    let target: String

    private(set) var host: String?
    /// How many `Host` lines came: one is required on HTTP/1.1.
    private(set) var hostCount = 0
    private(set) var authorization: String?
    private(set) var requestID: String?
    private(set) var forwardedProto: String?
    private(set) var forwardedHost: String?
    /// Every `If-None-Match` line, joined into one list.
    private(set) var ifNoneMatch: String?
    private(set) var prefer: [String] = []
    private(set) var accept: String?
    private(set) var lastEventID: String?
    private(set) var consumerID: String?
    private(set) var consumerIDCount = 0
    private(set) var presharedKey: String?
    private(set) var presharedKeyCount = 0
    /// `traceparent`; empty when several came (they name no single trace).
    private(set) var traceParent: String?
    /// Every `tracestate` line, joined into one list (RFC 9110 §5.3).
    private(set) var traceState: String?
    /// The `close` and `keep-alive` options of the `Connection` lines (`close` also when the
    /// parser found framing that ends the connection).
    private var connectionClose = false
    private var connectionKeepAlive = false

    init(method: HTTPMethod, version: HTTPVersion, target: String) {
        self.method = method
        self.version = version
        self.target = target
    }

    var isHTTP10: Bool { self.version.major == 1 && self.version.minor == 0 }

    /// Whether the connection stays open after this request: on HTTP/1.1 unless it says `close`,
    /// on HTTP/1.0 only when it says `keep-alive` (RFC 9112 §9.3), and never after framing that
    /// another hop may have read differently (`closeAfterwards`).
    var isKeepAlive: Bool {
        !self.connectionClose && (!self.isHTTP10 || self.connectionKeepAlive)
    }

    /// The connection closes after this request, whatever it asked.
    func closeAfterwards() {
        self.connectionClose = true
    }

    /// One header line: its name and its value without the blanks around it. The parser has
    /// checked both (a token, and no control), so letters compare by their case bit alone.
    func take(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let text = { String(decoding: value, as: UTF8.self) }
        switch name.count {
        case 4 where HTTPBytes.equalsIgnoringCase(name, "host"):
            self.host = text()
            self.hostCount += 1
        case 6 where HTTPBytes.equalsIgnoringCase(name, "prefer"):
            self.prefer.append(text())
        case 6 where HTTPBytes.equalsIgnoringCase(name, "accept"):
            self.accept = self.accept ?? text()
        case 10 where HTTPBytes.equalsIgnoringCase(name, "connection"):
            self.takeConnectionOptions(value)
        case 10 where HTTPBytes.equalsIgnoringCase(name, "tracestate"):
            Self.appendListElement(text(), to: &self.traceState)
        case 11 where HTTPBytes.equalsIgnoringCase(name, "traceparent"):
            self.traceParent = self.traceParent == nil ? text() : ""
        case 12 where HTTPBytes.equalsIgnoringCase(name, "x-request-id"):
            self.requestID = self.requestID ?? text()
        case 12 where HTTPBytes.equalsIgnoringCase(name, "x-custom-psk"):
            self.presharedKey = self.presharedKey ?? text()
            self.presharedKeyCount += 1
        case 13 where HTTPBytes.equalsIgnoringCase(name, "authorization"):
            self.authorization = self.authorization ?? text()
        case 13 where HTTPBytes.equalsIgnoringCase(name, "if-none-match"):
            Self.appendListElement(text(), to: &self.ifNoneMatch)
        case 13 where HTTPBytes.equalsIgnoringCase(name, "last-event-id"):
            self.lastEventID = self.lastEventID ?? text()
        case 13 where HTTPBytes.equalsIgnoringCase(name, "x-consumer-id"):
            self.consumerID = self.consumerID ?? text()
            self.consumerIDCount += 1
        case 16 where HTTPBytes.equalsIgnoringCase(name, "x-forwarded-host"):
            self.forwardedHost = self.forwardedHost ?? text()
        case 17 where HTTPBytes.equalsIgnoringCase(name, "x-forwarded-proto"):
            self.forwardedProto = self.forwardedProto ?? text()
        default:
            break
        }
    }

    /// The options of a `Connection` line, a comma-separated list.
    private func takeConnectionOptions(_ value: UnsafeRawBufferPointer) {
        HTTPBytes.forEachListElement(value) { option in
            if HTTPBytes.equalsIgnoringCase(option, "close") {
                self.connectionClose = true
            } else if HTTPBytes.equalsIgnoringCase(option, "keep-alive") {
                self.connectionKeepAlive = true
            }
        }
    }

    /// Joins a repeated header's lines into one list, in place: a head of a thousand such lines
    /// costs their length, not its square.
    private static func appendListElement(_ value: String, to list: inout String?) {
        if list == nil {
            list = value
        } else {
            list?.append(", ")
            list?.append(value)
        }
    }
}
