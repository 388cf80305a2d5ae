import JobStatusCore
import Logging
import NIOCore
import NIOHTTP1
import RedisWire

/// Answers the requests of one HTTP connection: route, authorize, one Redis read on the
/// connection of this channel's own event loop, envelope, response.
///
/// Requests are answered strictly in order. Parts of pipelined requests that arrive while one is
/// being answered wait in a small queue; when it fills, reading from the socket pauses. The
/// handler is its own `RedisReplyReceiver`: a poll in flight costs no allocation beyond the
/// response buffer, and the reply is turned into the envelope in place.
final class JobRequestHandler: ChannelDuplexHandler, RedisReplyReceiver {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What a request is answered with, decided when its head arrives.
    private enum Action {
        case error(APIError, ResponseHeaders)
        case live
        case ready
        case readJob
    }

    private struct Request {
        var isHead: Bool
        var connection: HTTPResponseComposer.Connection
        var meta: EnvelopeMeta
        var jobID: Substring
        var clientID: String?
        var action: Action
    }

    private enum Phase {
        case idle
        case receiving
        case waitingForRedis
        case closing
    }

    private static let maxQueuedParts = 64

    private let server: ServerContext
    private let loop: LoopResources
    private let timeouts: ConnectionTimeoutHandler
    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    private var request: Request?
    private var queued = CircularBuffer<HTTPServerRequestPart>(initialCapacity: 4)
    private var draining = false
    private var readHeld = false
    private var quiescing = false
    private var protocolError: APIError?

    init(server: ServerContext, loop: LoopResources, timeouts: ConnectionTimeoutHandler) {
        self.server = server
        self.loop = loop
        self.timeouts = timeouts
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.phase != .closing else { return }
        self.queued.append(self.unwrapInboundIn(data))
        self.drainQueue(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if self.queued.count >= Self.maxQueuedParts {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.phase = .closing
        self.request = nil
        self.queued.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        self.protocolError = parserError == .headerOverflow ? .headersTooLarge : .malformedRequest
        if self.phase == .receiving {
            // The request being received can never complete.
            self.phase = .idle
            self.request = nil
        }
        while let last = self.queued.last, !Self.isEnd(last) {
            self.queued.removeLast()
        }
        self.drainQueue(context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.quiescing = true
        if self.phase == .idle && self.queued.isEmpty {
            self.phase = .closing
            context.close(promise: nil)
        }
    }

    // MARK: - Requests

    /// Handles queued parts for as long as the current phase accepts them. Iterative rather than
    /// recursive, so a long pipeline answered synchronously cannot grow the stack.
    private func drainQueue(context: ChannelHandlerContext) {
        guard !self.draining else { return }
        self.draining = true
        defer { self.draining = false }
        loop: while self.phase != .closing, let part = self.queued.first {
            switch (self.phase, part) {
            case (.idle, .head(let head)):
                self.queued.removeFirst()
                self.startRequest(head)
            case (.receiving, .body):
                self.queued.removeFirst()
            case (.receiving, .end):
                self.queued.removeFirst()
                self.timeouts.requestReceived()
                self.execute(context: context)
            case (.idle, .body), (.idle, .end):
                self.queued.removeFirst()
            default:
                break loop
            }
        }
        if self.phase == .idle && self.queued.isEmpty {
            if let protocolError = self.protocolError {
                self.protocolError = nil
                self.respondToProtocolError(protocolError, context: context)
            } else if self.quiescing {
                self.phase = .closing
                context.close(promise: nil)
            }
        }
        if self.readHeld && self.queued.count < Self.maxQueuedParts && self.phase != .closing {
            self.readHeld = false
            context.read()
        }
    }

    private func startRequest(_ head: HTTPRequestHead) {
        self.timeouts.requestStarted()
        self.phase = .receiving

        var host: String?
        var hostCount = 0
        var authorization: String?
        var clientRequestID: String?
        var forwardedProto: String?
        var forwardedHost: String?
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 4 where name.isASCIIEqualIgnoringCase("host"):
                host = value
                hostCount += 1
            case 13 where name.isASCIIEqualIgnoringCase("authorization"):
                authorization = authorization ?? value
            case 12 where name.isASCIIEqualIgnoringCase("x-request-id"):
                clientRequestID = clientRequestID ?? value
            case 17 where name.isASCIIEqualIgnoringCase("x-forwarded-proto"):
                forwardedProto = forwardedProto ?? value
            case 16 where name.isASCIIEqualIgnoringCase("x-forwarded-host"):
                forwardedHost = forwardedHost ?? value
            default:
                break
            }
        }

        let requestID: String
        if let clientRequestID, RequestIDGenerator.isAcceptable(clientRequestID) {
            requestID = clientRequestID
        } else {
            requestID = self.loop.requestIDs.next()
        }
        let isHTTP10 = head.version.major == 1 && head.version.minor == 0
        let connection: HTTPResponseComposer.Connection =
            !head.isKeepAlive || self.quiescing ? .close : (isHTTP10 ? .keepAliveHTTP10 : .keepAlive)
        let target = RequestTarget(uri: head.uri)
        var scheme = "http"
        var authority = host ?? self.server.defaultAuthority
        if self.server.configuration.trustForwardedHeaders {
            if let proto = forwardedProto.map(Self.firstListElement), proto == "https" || proto == "http" {
                scheme = String(proto)
            }
            if let forwarded = forwardedHost.map(Self.firstListElement), !forwarded.isEmpty {
                authority = String(forwarded)
            }
        }
        var request = Request(
            isHead: head.method == .HEAD,
            connection: connection,
            meta: EnvelopeMeta(scheme: scheme, host: authority, path: target.path, requestID: requestID),
            jobID: "",
            clientID: nil,
            action: .live
        )
        request.action = self.decideAction(
            head: head,
            route: target.route,
            hostCount: hostCount,
            isHTTP10: isHTTP10,
            authorization: authorization,
            request: &request
        )
        self.request = request
    }

    private func decideAction(
        head: HTTPRequestHead,
        route: RequestTarget.Route,
        hostCount: Int,
        isHTTP10: Bool,
        authorization: String?,
        request: inout Request
    ) -> Action {
        if !isHTTP10 && hostCount != 1 {
            return .error(.missingHost, ResponseHeaders())
        }
        let isReadMethod = head.method == .GET || head.method == .HEAD
        switch route {
        case .unknown:
            return .error(.routeNotFound, ResponseHeaders())
        case .healthLive, .healthReady:
            guard isReadMethod else {
                return .error(.methodNotAllowed(head.method.rawValue), ResponseHeaders(allowGetHead: true))
            }
            return route == .healthLive ? .live : .ready
        case .job(let id):
            guard isReadMethod else {
                return .error(.methodNotAllowed(head.method.rawValue), ResponseHeaders(allowGetHead: true))
            }
            if let authenticator = self.server.authenticator {
                switch authenticator.authenticate(authorization) {
                case .allowed(let clientID):
                    request.clientID = clientID
                case .denied(let failure):
                    var headers = ResponseHeaders()
                    switch failure {
                    case .missingBearerToken: headers.wwwAuthenticate = #"Bearer realm="jobstatus""#
                    case .invalidToken: headers.wwwAuthenticate = #"Bearer realm="jobstatus", error="invalid_token""#
                    case .missingScope: break
                    }
                    return .error(.denied(failure), headers)
                }
            }
            // A malformed id cannot name a job: answer without asking Redis.
            guard JobID.isValid(id.utf8) else { return .error(.jobNotFound, ResponseHeaders()) }
            request.jobID = id
            return .readJob
        }
    }

    private func execute(context: ChannelHandlerContext) {
        guard let request = self.request else { return }
        switch request.action {
        case .error(let error, let headers):
            self.respond(error, headers: headers, context: context)
        case .live:
            self.respondHealth(ready: true, context: context)
        case .ready:
            self.phase = .waitingForRedis
            self.loop.redis.send(to: self) { buffer in
                RedisCommandEncoder.encode(["PING"], into: &buffer)
            }
        case .readJob:
            self.phase = .waitingForRedis
            var id = request.jobID
            id.withUTF8 { id in
                self.loop.redis.send(to: self) { buffer in
                    JobRecordQuery.encode(keyPrefix: self.server.keyPrefix, id: UnsafeRawBufferPointer(id), into: &buffer)
                }
            }
        }
    }

    // MARK: - Redis replies

    func receive(_ reply: RedisReply) {
        guard self.phase == .waitingForRedis, let request = self.request, let context = self.context else { return }
        switch request.action {
        case .ready:
            self.respondHealth(ready: reply.kind == .simpleString && reply.bytesEqual("PONG"), context: context)
        case .readJob:
            self.answerJob(reply, request: request, context: context)
        case .error, .live:
            break
        }
    }

    func fail(_ error: RedisError) {
        guard self.phase == .waitingForRedis, let request = self.request, let context = self.context else { return }
        switch request.action {
        case .ready:
            self.respondHealth(ready: false, context: context)
        default:
            self.respond(.serviceUnavailable, headers: ResponseHeaders(retryAfter: 1), context: context)
        }
    }

    private func answerJob(_ reply: RedisReply, request: Request, context: ChannelHandlerContext) {
        if reply.kind == .error {
            let message = reply.string
            self.log(request).error("Redis refused the job read", metadata: ["redis_error": "\(message)"])
            let isContractViolation = message.hasPrefix("WRONGTYPE")
            self.respond(
                isContractViolation ? .internalError : .serviceUnavailable,
                headers: ResponseHeaders(retryAfter: isContractViolation ? nil : 1),
                context: context
            )
            return
        }
        guard let record = JobRecordQuery.view(of: reply) else {
            self.log(request).error("Redis answered HMGET with an unexpected reply", metadata: ["reply": "\(reply.value)"])
            self.respond(.internalError, headers: ResponseHeaders(), context: context)
            return
        }
        let outcome: JobReadOutcome
        if var clientID = request.clientID {
            outcome = clientID.withUTF8 { JobReadOutcome.decide(record, caller: UnsafeRawBufferPointer($0)) }
        } else {
            outcome = JobReadOutcome.decide(record, caller: nil)
        }
        switch outcome {
        case .notFound:
            self.respond(.jobNotFound, headers: ResponseHeaders(), context: context)
        case .contractViolation(let reason):
            self.log(request).error(
                "job record breaks the record contract",
                metadata: ["key": "\(self.server.configuration.keyPrefix)\(request.jobID)", "reason": "\(reason)"]
            )
            self.respond(.internalError, headers: ResponseHeaders(), context: context)
        case .found(let job):
            self.loop.bodyScratch.clear()
            var id = request.jobID
            id.withUTF8 { id in
                EnvelopeWriter.writeJob(job, id: UnsafeRawBufferPointer(id), meta: request.meta, into: &self.loop.bodyScratch)
            }
            var headers = ResponseHeaders()
            if self.server.configuration.locationHeader, case .links(let links) = job.body {
                headers.location = Self.locationValue(links)
            }
            self.send(job.httpStatus == 303 ? .seeOther : .ok, headers: headers, context: context)
        }
    }

    // MARK: - Responses

    private func respond(_ error: APIError, headers: ResponseHeaders, context: ChannelHandlerContext) {
        guard let request = self.request else { return }
        self.loop.bodyScratch.clear()
        EnvelopeWriter.writeError(
            code: error.status.code,
            type: error.type,
            message: error.message,
            meta: request.meta,
            into: &self.loop.bodyScratch
        )
        self.send(error.status, headers: headers, context: context)
    }

    private func respondHealth(ready: Bool, context: ChannelHandlerContext) {
        self.loop.bodyScratch.clear()
        self.loop.bodyScratch.writeStaticString(ready ? #"{"status":"up"}"# : #"{"status":"unavailable"}"#)
        self.send(
            ready ? .ok : .serviceUnavailable,
            headers: ResponseHeaders(retryAfter: ready ? nil : 1),
            context: context
        )
    }

    /// A request that could not be parsed: answered after the requests before it, then closed.
    private func respondToProtocolError(_ error: APIError, context: ChannelHandlerContext) {
        self.request = Request(
            isHead: false,
            connection: .close,
            meta: EnvelopeMeta(
                scheme: "http",
                host: self.server.defaultAuthority,
                path: "",
                requestID: self.loop.requestIDs.next()
            ),
            jobID: "",
            clientID: nil,
            action: .error(error, ResponseHeaders())
        )
        self.respond(error, headers: ResponseHeaders(), context: context)
    }

    /// Frames the body in `bodyScratch` and writes the response; then either closes or moves on
    /// to the next pipelined request.
    private func send(_ status: ResponseStatus, headers: ResponseHeaders, context: ChannelHandlerContext) {
        guard let request = self.request else { return }
        let connection = self.quiescing ? .close : request.connection
        let response = HTTPResponseComposer.compose(
            status: status,
            headers: headers,
            requestID: request.meta.requestID,
            date: self.loop.dates.now(),
            connection: connection,
            body: self.loop.bodyScratch,
            includeBody: !request.isHead,
            allocator: context.channel.allocator
        )
        self.request = nil
        if case .close = connection {
            self.phase = .closing
            self.queued.removeAll()
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(self.wrapOutboundOut(response), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            self.phase = .idle
            context.writeAndFlush(self.wrapOutboundOut(response), promise: nil)
            self.timeouts.responseSent()
            self.drainQueue(context: context)
        }
    }

    // MARK: - Helpers

    private func log(_ request: Request) -> Logger {
        var logger = self.server.logger
        logger[metadataKey: "request_id"] = "\(request.meta.requestID)"
        return logger
    }

    /// The first link's href as a `Location` value, if it is plain visible ASCII (no JSON
    /// escapes, nothing that could split a header).
    private static func locationValue(_ links: UnsafeRawBufferPointer) -> String? {
        guard let href = JSONScanner.firstLinkHref(links), !href.isEmpty,
            href.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") })
        else { return nil }
        return String(decoding: href, as: UTF8.self)
    }

    /// The first element of a comma-separated header value, without surrounding blanks.
    private static func firstListElement(_ value: String) -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let first = value.prefix { $0 != "," }.drop(while: isBlank)
        guard let last = first.lastIndex(where: { !isBlank($0) }) else { return "" }
        return first[...last]
    }

    private static func isEnd(_ part: HTTPServerRequestPart) -> Bool {
        if case .end = part { return true }
        return false
    }
}

extension String {
    /// ASCII case-insensitive comparison with a lowercase literal, without allocating.
    fileprivate func isASCIIEqualIgnoringCase(_ lowercase: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        return self.utf8.count == expected.count
            && zip(self.utf8, expected).allSatisfy { actual, wanted in
                actual == wanted || (actual >= UInt8(ascii: "A") && actual <= UInt8(ascii: "Z") && actual | 0x20 == wanted)
            }
    }
}
