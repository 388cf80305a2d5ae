import JobStatusCore
import NIOCore
import NIOHTTP1

/// Plans a request from its head alone: routing, authorization, the per-client limits. One per
/// connection, since it keeps what a keep-alive client repeats: its `Authorization` decision and
/// its address. A plain value: the head in, a `PlannedRequest` out, tested without a channel.
struct RequestPlanner {
    let server: ServerContext
    /// The loop's generator, for requests that bring no acceptable `X-Request-ID`.
    let requestIDs: RequestIDGenerator
    /// The last `Authorization` value of this connection and what it was found to be, so a
    /// keep-alive client's token is hashed once rather than per request.
    private var cachedAuthorization: (header: String, decision: AuthorizationDecision, validUntil: Double, generation: UInt64)?
    /// The peer's IP address as a limits key (`ip:…`): the client when it has no identity.
    private var peerKey: String?

    init(server: ServerContext, requestIDs: RequestIDGenerator) {
        self.server = server
        self.requestIDs = requestIDs
    }

    /// What a request being planned has so far: the facts its answer is rendered from, and
    /// whether its connection stays open.
    private struct Draft {
        /// The request's facts, boxed from the start and filled in place: a copy of them into a
        /// box (or out of a draft) would retain each of their strings.
        let factsBox: RequestFacts.Box
        var connection: HTTPResponseComposer.Connection
        let isHTTP10: Bool
        /// Whether a JWT naming an unknown key may wait for the keys to be fetched: once per request.
        let mayAwaitKeys: Bool

        var facts: RequestFacts {
            _read { yield self.factsBox.value }
            nonmutating _modify { yield &self.factsBox.value }
        }

        func planned(_ work: PlannedRequest.Work, isHead: Bool) -> PlannedRequest {
            PlannedRequest(work: work, isHead: isHead, isHTTP10: self.isHTTP10, connection: self.connection, facts: self.factsBox)
        }
    }

    /// What the request asks for, decided from its head: routing, authorization, the limits.
    ///
    /// - Parameter peer: the connection's remote address, asked at most once per connection, and
    ///   only by a request limited by its address.
    mutating func plan(_ head: RequestHead, now: NIODeadline, peer: () -> SocketAddress?) -> PlannedRequest {
        self.plan(head, requestID: nil, startedAt: now, mayAwaitKeys: true, peer: peer)
    }

    /// Plans again a request that waited for the JWT keys (`.awaitKeys`): the same request (its
    /// id, its clock), decided with the keys there are now.
    mutating func replan(_ request: PlannedRequest, head: RequestHead, peer: () -> SocketAddress?) -> PlannedRequest {
        self.plan(head, requestID: request.facts.meta.requestID, startedAt: request.facts.startedAt, mayAwaitKeys: false, peer: peer)
    }

    private mutating func plan(
        _ head: RequestHead,
        requestID knownRequestID: String?,
        startedAt now: NIODeadline,
        mayAwaitKeys: Bool,
        peer: () -> SocketAddress?
    ) -> PlannedRequest {
        let requestID: String
        if let knownRequestID {
            requestID = knownRequestID
        } else if let clientRequestID = head.requestID, RequestIDGenerator.isAcceptable(clientRequestID) {
            requestID = clientRequestID
        } else {
            requestID = self.requestIDs.next()
        }
        let isHTTP10 = head.isHTTP10
        let connection: HTTPResponseComposer.Connection = !head.isKeepAlive ? .close : (isHTTP10 ? .keepAliveHTTP10 : .keepAlive)
        let target = RequestTarget(uri: head.target, maxListedIDs: self.server.configuration.polling.maxBatch)
        var scheme = "http"
        // Without exactly one Host line there is no trustworthy authority: the answer (a 400) names
        // this server instead.
        // A Host of any other shape than an authority is not repeated into `meta.url` either.
        var authority = (head.hostCount == 1 ? head.host : nil).flatMap { HostAuthority.isValid($0) ? $0 : nil }
            ?? self.server.defaultAuthority
        if self.server.configuration.http.trustForwardedHeaders {
            if let proto = head.forwardedProto.map(Self.firstListElement), proto == "https" || proto == "http" {
                scheme = String(proto)
            }
            if let forwarded = head.forwardedHost.map(Self.firstListElement).map(String.init), HostAuthority.isValid(forwarded) {
                authority = forwarded
            }
        }
        var draft = Draft(
            factsBox: RequestFacts.Box(RequestFacts(meta: EnvelopeMeta(scheme: scheme, host: authority, path: target.path, requestID: requestID), startedAt: now)),
            connection: connection,
            isHTTP10: isHTTP10,
            mayAwaitKeys: mayAwaitKeys
        )
        draft.facts.route = target.label
        if case .RAW = head.method {
            // Any token is a method, and a client may make up its own: telemetry (span names, the
            // method attribute, the access log) names those `_OTHER`, OpenTelemetry's convention,
            // so what it records stays a bounded set. The 405 still names the method sent.
            draft.facts.method = "_OTHER"
        } else {
            draft.facts.method = head.method.rawValue
        }
        draft.facts.trace = head.traceParent.flatMap { TraceHeaders(parent: $0, state: head.traceState) }
        let work = self.decideWork(head: head, target: target, draft: &draft, peer: peer)
        return draft.planned(work, isHead: head.method == .HEAD)
    }

    /// The request that answers bytes the parser refused (400, 431), after the
    /// requests before it, and its answer; its connection closes.
    func unparsed(_ error: APIError, now: NIODeadline) -> (request: PlannedRequest, answer: PlannedRequest.Immediate) {
        let meta = EnvelopeMeta(scheme: "http", host: self.server.defaultAuthority, path: "", requestID: self.requestIDs.next())
        let refusal = PlannedRequest.Immediate.refuse(error, ResponseHeaders(cacheControl: .noStore))
        let request = PlannedRequest(
            work: .immediate(refusal),
            isHead: false,
            isHTTP10: false,
            connection: .close,
            facts: RequestFacts.Box(RequestFacts(meta: meta, startedAt: now))
        )
        return (request, refusal)
    }

    private mutating func decideWork(
        head: RequestHead,
        target: RequestTarget,
        draft: inout Draft,
        peer: () -> SocketAddress?
    ) -> PlannedRequest.Work {
        if !draft.isHTTP10 && head.hostCount != 1 {
            // RFC 9112 §3.2. Two Host lines are how request smuggling through proxies that read
            // different ones starts: answer, then close rather than trust the rest of the stream.
            draft.connection = .close
            return .immediate(.refuse(.missingHost, ResponseHeaders(cacheControl: .noStore)))
        }
        let isReadMethod = head.method == .GET || head.method == .HEAD
        // Refusals are built only when needed: a refusal is boxed (an allocation), and this one's
        // message interpolates the method.
        func routeNotFound() -> PlannedRequest.Work {
            .immediate(.refuse(.routeNotFound, ResponseHeaders(cacheControl: .noStore)))
        }
        func methodNotAllowed() -> PlannedRequest.Work {
            .immediate(.refuse(.methodNotAllowed(head.method.rawValue), ResponseHeaders(allowGetHead: true, cacheControl: .noStore)))
        }
        if self.server.isOperatorListener {
            // The operator port serves metrics and health, nothing else.
            switch target.route {
            case .metrics, .healthLive, .healthReady: break
            case .job, .jobList, .jobEvents, .document, .unknown: return routeNotFound()
            }
        }
        switch target.route {
        case .unknown:
            return routeNotFound()
        case .healthLive:
            return isReadMethod ? .immediate(.live) : methodNotAllowed()
        case .healthReady:
            return isReadMethod ? .probe : methodNotAllowed()
        case .metrics:
            guard self.server.servesMetrics else { return routeNotFound() }
            return isReadMethod ? .immediate(.metrics) : methodNotAllowed()
        case .document:
            return isReadMethod ? .immediate(.document) : methodNotAllowed()
        case .job(let id, let isValidID), .jobEvents(let id, let isValidID):
            guard isReadMethod else { return methodNotAllowed() }
            if let refusal = self.refusal(head, draft: &draft, peer: peer) {
                return refusal
            }
            let limitKey = draft.facts.clientID ?? self.remoteAddress(peer)
            if let limited = self.rateLimited(limitKey, of: draft) {
                return limited
            }
            // A malformed id cannot name a job: answer without asking the store.
            guard isValidID else { return .immediate(.refuse(.jobNotFound, ResponseHeaders(cacheControl: .noStore))) }
            draft.facts.jobID = id
            guard case .jobEvents = target.route else {
                return self.poll(target: target, head: head, limitKey: limitKey, draft: &draft)
            }
            // An empty Accept names no preference: treated as absent (RFC 9110 lets a server disregard it).
            if let accept = head.accept, !accept.trimmingBlanks().isEmpty, !Self.acceptsEventStream(accept) {
                return .immediate(.refuse(.notAcceptable, ResponseHeaders(cacheControl: .noStore)))
            }
            return self.startWaiting(.stream(lastEventID: head.lastEventID.flatMap { Int64($0.trimmingBlanks()) }), limitKey: limitKey, draft: &draft)
        case .jobList(let listed):
            guard isReadMethod else { return methodNotAllowed() }
            if let refusal = self.refusal(head, draft: &draft, peer: peer) {
                return refusal
            }
            let limitKey = draft.facts.clientID ?? self.remoteAddress(peer)
            let maxBatch = self.server.configuration.polling.maxBatch
            switch listed {
            case .none:
                return self.rateLimited(limitKey, of: draft) ?? .immediate(.refuse(.missingListedIDs, ResponseHeaders(cacheControl: .noStore)))
            case .listed:
                // The caller is known: only now are the ids read (and their repeats found).
                if let ids = target.ids(maxDistinct: maxBatch) {
                    // A list costs what polling each of its jobs would.
                    if let limited = self.rateLimited(limitKey, cost: ids.count, of: draft) {
                        return limited
                    }
                    draft.facts.list = JobListRead(ids: ids)
                    return self.poll(target: target, head: head, limitKey: limitKey, draft: &draft)
                }
                fallthrough
            case .tooMany:
                let error = APIError.tooManyListedIDs(max: maxBatch)
                return self.rateLimited(limitKey, of: draft) ?? .immediate(.refuse(error, ResponseHeaders(cacheControl: .noStore)))
            }
        }
    }

    /// The refusal of a request for jobs that may not read them (or its wait for the JWT keys),
    /// nil when it may.
    private mutating func refusal(
        _ head: RequestHead,
        draft: inout Draft,
        peer: () -> SocketAddress?
    ) -> PlannedRequest.Work? {
        let refusal: Refusal
        switch self.authorize(head, draft: &draft) {
        case .allowed: return nil
        case .awaitKeys: return .awaitKeys(head)
        case .refused(let refused): refusal = refused
        }
        if refusal.closesConnection {
            draft.connection = .close
        }
        // Refusals count against the caller's address, which slows down token guessing.
        return self.rateLimited(self.remoteAddress(peer), of: draft) ?? .immediate(.refuse(refusal.error, refusal.headers))
    }

    /// A poll of one job or a list: plain, or held (`?wait=N`, `Prefer: wait=N`, capped at
    /// `polling.max_wait`).
    private func poll(target: RequestTarget, head: RequestHead, limitKey: String, draft: inout Draft) -> PlannedRequest.Work {
        draft.facts.ifNoneMatch = head.ifNoneMatch
        let requestedWait: Int?
        switch target.wait {
        case .invalid:
            return .immediate(.refuse(.invalidWait, ResponseHeaders(cacheControl: .noStore)))
        case .seconds(let seconds):
            requestedWait = seconds
        case .absent:
            requestedWait = head.prefer.isEmpty ? nil : PreferHeader.wait(in: head.prefer)
        }
        guard let requestedWait else { return .poll(wait: nil) }
        let cap = Int(self.server.configuration.polling.maxWait.wholeSecondsRoundedUp)
        let applied = min(requestedWait, cap)
        draft.facts.appliedWait = applied
        guard applied > 0 else { return .poll(wait: nil) }
        draft.facts.route = draft.facts.list == nil ? .jobWait : .jobListWait
        return self.startWaiting(.poll(wait: .seconds(Int64(applied))), limitKey: limitKey, draft: &draft)
    }

    /// A long poll or a stream (a list counts as one) holds one of its client's waiter slots until
    /// it ends.
    private func startWaiting(_ work: PlannedRequest.Work, limitKey: String, draft: inout Draft) -> PlannedRequest.Work {
        guard self.server.limits.startWaiting(limitKey) else {
            RequestMetrics.rateLimited.increment()
            return .immediate(.refuse(.tooManyWaiters, ResponseHeaders(retryAfter: 1, cacheControl: .noStore)))
        }
        RequestMetrics.waiters.increment()
        draft.facts.waiterKey = limitKey
        return work
    }

    /// Nil while `client` is within its rate, else the 429 to answer. The bucket takes the
    /// request's clock reading (`startedAt`, taken when its bytes were read), not one of its own.
    private func rateLimited(_ client: String, cost: Int = 1, of draft: Draft) -> PlannedRequest.Work? {
        guard let retryAfter = self.server.limits.admit(client, cost: cost, now: draft.facts.startedAt) else { return nil }
        RequestMetrics.rateLimited.increment()
        return .immediate(.refuse(.tooManyRequests, ResponseHeaders(retryAfter: retryAfter, cacheControl: .noStore)))
    }

    /// The peer's IP address as a limits key: the client when it has no identity. Built the first
    /// time a request needs it, then kept for the connection.
    private mutating func remoteAddress(_ peer: () -> SocketAddress?) -> String {
        if let known = self.peerKey { return known }
        let key = "ip:" + (peer()?.ipAddress ?? "unknown")
        self.peerKey = key
        return key
    }

    /// Why a request may not read jobs: the answer, and whether the connection closes after it.
    private struct Refusal {
        var error: APIError
        var headers: ResponseHeaders
        var closesConnection = false
    }

    private enum Authorization {
        /// The caller may read jobs (its client id stored in the draft).
        case allowed
        /// The JWT names a key a fetch may bring: decide after it.
        case awaitKeys
        case refused(Refusal)
    }

    private mutating func authorize(_ head: RequestHead, draft: inout Draft) -> Authorization {
        let decision: AuthorizationDecision
        switch self.server.authentication {
        case .none:
            return .allowed
        case .gateway(let gateway):
            guard head.consumerIDCount <= 1, head.presharedKeyCount <= 1 else {
                // Two identities, or two keys: which one a proxy in front checked is unknowable.
                return .refused(Refusal(error: .ambiguousGatewayHeaders, headers: ResponseHeaders(cacheControl: .noStore), closesConnection: true))
            }
            decision = gateway.authenticate(consumerID: head.consumerID, presharedKey: head.presharedKey)
        case .tokens(let tokens):
            decision = self.cachedDecision(for: head.authorization, generation: tokens.generation) {
                let (decision, generation) = tokens.authenticate($0)
                return (decision, .infinity, generation)
            }
        case .jwt(let jwt):
            decision = self.cachedDecision(for: head.authorization, generation: jwt.generation) {
                jwt.authenticate($0, mayAwaitKeys: draft.mayAwaitKeys)
            }
        }
        switch decision {
        case .allowed(let clientID):
            draft.facts.clientID = clientID
            return .allowed
        case .unknownKey:
            return .awaitKeys
        case .denied(.keysUnavailable):
            return .refused(Refusal(error: .keysUnavailable, headers: ResponseHeaders(retryAfter: 1, cacheControl: .noStore)))
        case .denied(let failure):
            var responseHeaders = ResponseHeaders(cacheControl: .noStore)
            switch failure {
            case .missingBearerToken: responseHeaders.wwwAuthenticate = #"Bearer realm="jobstatus""#
            case .invalidToken: responseHeaders.wwwAuthenticate = #"Bearer realm="jobstatus", error="invalid_token""#
            case .missingScope:
                responseHeaders.wwwAuthenticate = #"Bearer realm="jobstatus", error="insufficient_scope", scope="job:read""#
            case .missingGatewayCredentials, .keysUnavailable: break
            }
            return .refused(Refusal(error: .denied(failure), headers: responseHeaders))
        }
    }

    /// A keep-alive client sends the same `Authorization` again and again: the decision is kept
    /// per connection until it expires (a JWT's `exp`) or the credentials are reloaded (their
    /// `generation` moves on: a removed token or key is refused on connections that used it), so
    /// a token is checked once.
    private mutating func cachedDecision(
        for authorization: String?,
        generation: UInt64,
        _ decide: (String?) -> (AuthorizationDecision, validUntil: Double, generation: UInt64)
    ) -> AuthorizationDecision {
        if let cached = self.cachedAuthorization, let authorization, cached.header == authorization, cached.generation == generation,
            cached.validUntil == .infinity || cached.validUntil > Double(WallClock.millisecondsSinceEpoch()) / 1000
        {
            return cached.decision
        }
        let (decision, validUntil, decidedWith) = decide(authorization)
        // A decision to wait for the keys is made again after them, never kept.
        if let authorization, decision != .unknownKey {
            self.cachedAuthorization = (authorization, decision, validUntil, decidedWith)
        }
        return decision
    }

    /// The first element of a comma-separated header value, without surrounding blanks.
    private static func firstListElement(_ value: String) -> Substring {
        value.prefix { $0 != "," }.trimmingBlanks()
    }

    /// Whether an `Accept` value admits `text/event-stream`.
    private static func acceptsEventStream(_ accept: String) -> Bool {
        accept.split(separator: ",").contains { range in
            let mediaType = range.prefix { $0 != ";" }.trimmingBlanks().lowercased()
            return mediaType == "text/event-stream" || mediaType == "text/*" || mediaType == "*/*"
        }
    }
}
