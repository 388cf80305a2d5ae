public import NIOCore

/// Where a command goes: the one connection of a standalone Redis, or the node of a cluster that
/// serves the command's key. Routers are owned by one event loop; call them on it.
public protocol RedisRouter: AnyObject {
    var eventLoop: any EventLoop { get }

    /// Whether commands can be sent right now.
    var isReady: Bool { get }

    /// Sends a command about `key` (the bytes of the Redis key). With `readOnly`, a cluster
    /// router configured to read from replicas may send it to one.
    func send(
        key: UnsafeRawBufferPointer,
        readOnly: Bool,
        to receiver: any RedisReplyReceiver,
        encode: (inout ByteBuffer) -> Void
    )

    /// Sends a command that concerns no key (PING, WAIT after a keyed write is sent with the key).
    func send(to receiver: any RedisReplyReceiver, encode: (inout ByteBuffer) -> Void)

    /// Connects; the future settles when the first attempt did (it fails when that attempt did,
    /// but the router keeps trying until `shutdown`).
    func start() -> EventLoopFuture<Void>

    func shutdown() -> EventLoopFuture<Void>
}

extension RedisRouter {
    /// Sends one command given as strings and returns an owned copy of its reply; an error reply
    /// fails the future with `RedisError.server`. `key` routes it in a cluster.
    public func send(_ arguments: [String], key: String? = nil, readOnly: Bool = false) -> EventLoopFuture<RESPValue> {
        self.send(bytes: arguments.map { Array($0.utf8) }, key: key, readOnly: readOnly)
    }

    /// The same, for arguments that are any bytes.
    public func send(bytes arguments: [[UInt8]], key: String? = nil, readOnly: Bool = false) -> EventLoopFuture<RESPValue> {
        let promise = self.eventLoop.makePromise(of: RESPValue.self)
        let receiver = PromiseReplyReceiver(promise)
        let encode = { (buffer: inout ByteBuffer) in RedisCommandEncoder.encode(bytes: arguments, into: &buffer) }
        if var key {
            key.withUTF8 { self.send(key: UnsafeRawBufferPointer($0), readOnly: readOnly, to: receiver, encode: encode) }
        } else {
            self.send(to: receiver, encode: encode)
        }
        return promise.futureResult
    }
}
