import Foundation
import NIOCore
import NIOPosix

// nio-floor PORT RESPONSE_FILE: listens on 127.0.0.1:PORT with one event loop per core and the
// front's socket options (HTTPServer) and answers every request with the bytes of RESPONSE_FILE
// (FixedResponder).
let arguments = CommandLine.arguments
guard arguments.count == 3, let port = Int(arguments[1]), let recorded = FileManager.default.contents(atPath: arguments[2]) else {
    fatalError("usage: nio-floor PORT RESPONSE_FILE")
}
let response = ByteBuffer(bytes: recorded)

let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let server = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelOption(.maxMessagesPerRead, value: 16)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(FixedResponder(response: response))
        }
    }
    .bind(host: "127.0.0.1", port: port)
    .wait()
try server.closeFuture.wait()
