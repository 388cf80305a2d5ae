import NIOCore

/// The clocks and bounds of every connection's `ConnectionStateMachine`, from the configuration.
struct ConnectionLimits {
    var headerTimeout: TimeAmount
    var idleTimeout: TimeAmount
    var writeTimeout: TimeAmount
    /// An idle event stream's comment and re-read interval (`polling.heartbeat`).
    var heartbeat: TimeAmount
    /// Queued request parts beyond which the socket is not read.
    var maxQueuedParts = 64
    /// How long a closing connection reads and drops what its peer still sends, at most.
    var lingerTime = TimeAmount.seconds(10)
    /// How long a lingering peer may send nothing before the connection closes.
    var lingerTimeout = TimeAmount.seconds(2)
    /// The most bytes dropped while lingering; past them the connection closes.
    var lingerBytes = 8 * 1024 * 1024
    /// How soon an event stream whose watch could not be made tries again: the subscriber may
    /// be back long before the next heartbeat.
    var watchRetry = TimeAmount.seconds(1)
}
