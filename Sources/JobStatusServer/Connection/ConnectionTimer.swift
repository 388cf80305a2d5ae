import NIOCore

/// A timer the connection's machine arms: a long poll's deadline or a stream's heartbeat. Its
/// generation tells a timer that fired from one that was replaced meanwhile.
struct ConnectionTimer: Equatable {
    var deadline: NIODeadline
    var generation: UInt64
}
