import AsyncHTTPClient
import CoreMetrics
import Foundation
import JobStatusConfiguration
import JobStatusCore
import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// The keys an identity provider publishes at `auth.jwt.jwks_url`: fetched at start-up, again
/// when their `Cache-Control` max-age is over, and when a token names a `kid` they lack (at most
/// once per `auth.jwt.jwks_min_refresh`; `JWKSRefreshMachine` decides when). A fetch that fails,
/// or brings no usable key, keeps the keys in use: the log says why, `/metrics` counts it, and the
/// operator port's `/health/ready` shows it. Fetches run in this service's task, on
/// AsyncHTTPClient's event loops, never on the front's.
///
/// A request whose token names an unknown `kid` waits for the fetch (`awaitKeys`): its promise is
/// completed, on its own loop, when the fetch ends, and the request is decided again.
public final class JWKSSource: Service, Sendable {
    /// The largest key set read: a JWKS is a few kilobytes.
    static let maxBodyBytes = 1 << 20

    private static let loaded = Counter(label: "jobstatus_jwks_fetches_total", dimensions: [("outcome", "loaded")])
    private static let failed = Counter(label: "jobstatus_jwks_fetches_total", dimensions: [("outcome", "failed")])
    private static let keysGauge = Gauge(label: "jobstatus_jwks_keys")
    private static let staleGauge = Gauge(label: "jobstatus_jwks_stale")
    private static let unknownKid: [JWKSRefreshMachine.UnknownKeyAction: Counter] = [
        .fetch: Counter(label: "jobstatus_jwks_unknown_kid_total", dimensions: [("outcome", "fetched")]),
        .wait: Counter(label: "jobstatus_jwks_unknown_kid_total", dimensions: [("outcome", "joined")]),
        .refuse: Counter(label: "jobstatus_jwks_unknown_kid_total", dimensions: [("outcome", "refused")]),
    ]

    /// What the fetch loop and the requests share.
    private struct Shared {
        var machine: JWKSRefreshMachine
        /// Requests waiting for the fetch in flight.
        var waiters: [EventLoopPromise<Void>] = []
    }

    let url: JWKSURL
    /// The keys fetched last (empty until the first fetch succeeds).
    let keys = ReloadableCredentials(JWTKeySet.empty)
    private let timeout: Duration
    private let shared: Mutex<Shared>
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let logger: Logger

    init(url: JWKSURL, settings: JWTSettings, logger: Logger) {
        self.url = url
        self.timeout = settings.jwksTimeout
        self.shared = Mutex(Shared(machine: JWKSRefreshMachine(settings: settings, now: .now)))
        (self.wakes, self.wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.logger = logger
        // The first fetch is asked for from the start.
        self.wake.yield()
        Self.staleGauge.record(0)
    }

    /// Whether a token naming an unknown `kid` should wait for a fetch (one is in flight, or may
    /// start): otherwise it is decided at once, with the keys in use.
    func mayAwaitKeys() -> Bool {
        let mayAwait = self.shared.withLock { $0.machine.mayAwaitKeys(now: .now) }
        if !mayAwait { Self.unknownKid[.refuse]?.increment() }
        return mayAwait
    }

    /// A request's token names a `kid` the keys lack: `promise` is completed when the fetch in
    /// flight (or one started now) ends. False when no fetch may start now: decide at once.
    func awaitKeys(_ promise: EventLoopPromise<Void>) -> Bool {
        let action = self.shared.withLock { shared in
            let action = shared.machine.unknownKey(now: .now)
            if action != .refuse { shared.waiters.append(promise) }
            return action
        }
        Self.unknownKid[action]?.increment()
        if action == .fetch { self.wake.yield() }
        return action != .refuse
    }

    /// Whether keys were ever fetched (the front is not ready before), and why the ones in use
    /// may be stale.
    var health: (loaded: Bool, failure: JWKSRefreshMachine.Failure?) {
        self.shared.withLock { ($0.machine.loadedAt != nil, $0.machine.failure) }
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The schedule is looked at four times a second (a lock and a comparison): a fetch
                // starts within 250 ms of being due.
                while (try? await Task.sleep(for: .milliseconds(250))) != nil { self.wake.yield() }
            }
            group.addTask {
                for await _ in self.wakes where self.shared.withLock({ $0.machine.fetchDue(now: .now) }) {
                    await self.fetchOnce()
                }
            }
            try? await gracefulShutdown()
            self.wake.finish()
            group.cancelAll()
        }
        // Requests still waiting, and any that come later, are decided with the keys there are.
        let waiters = self.shared.withLock { shared in
            shared.machine.stop()
            defer { shared.waiters = [] }
            return shared.waiters
        }
        for waiter in waiters {
            waiter.succeed()
        }
    }

    /// One fetch: the new keys put in use, or the old ones kept; either way the waiting requests
    /// are decided again.
    private func fetchOnce() async {
        let outcome: Result<(keys: JWTKeySet, skipped: Int, maxAge: Duration?), JWKSFetchError>
        do {
            outcome = .success(try await self.fetch())
        } catch {
            outcome = .failure(error)
        }
        // Shutting down: the fetch was cancelled, not failed.
        guard !Task.isCancelled else { return }
        let waiters = self.shared.withLock { shared in
            switch outcome {
            case .success(let fetched): shared.machine.fetched(maxAge: fetched.maxAge, now: .now)
            case .failure(let error): shared.machine.failed(error.reason, now: .now)
            }
            defer { shared.waiters = [] }
            return shared.waiters
        }
        switch outcome {
        case .success(let fetched):
            self.keys.replace(with: fetched.keys)
            Self.loaded.increment()
            Self.keysGauge.record(fetched.keys.count)
            Self.staleGauge.record(0)
            self.logger.debug(
                "fetched the JWT keys",
                metadata: [
                    "url": "\(self.url)", "keys": "\(fetched.keys.count)", "skipped": "\(fetched.skipped)",
                    "max_age": "\(fetched.maxAge.map(DurationText.format) ?? "-")",
                ]
            )
        case .failure(let error):
            Self.failed.increment()
            Self.staleGauge.record(1)
            self.logger.error(
                "cannot fetch the JWT keys: the keys in use are kept",
                metadata: ["url": "\(self.url)", "error": "\(error.reason)", "keys_in_use": "\(self.keys.read().value.count)"]
            )
        }
        for waiter in waiters {
            waiter.succeed()
        }
    }

    private func fetch() async throws(JWKSFetchError) -> (keys: JWTKeySet, skipped: Int, maxAge: Duration?) {
        var request = HTTPClientRequest(url: self.url.description)
        request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
        let body: ByteBuffer
        let cacheControl: String?
        do {
            let deadline = NIODeadline.now() + TimeAmount(self.timeout)
            let response = try await HTTPClient.shared.execute(request, deadline: deadline)
            guard response.status == .ok else {
                throw JWKSFetchError("the server answered \(response.status.code)")
            }
            cacheControl = response.headers.first(name: "Cache-Control")
            body = try await response.body.collect(upTo: Self.maxBodyBytes)
        } catch let error as JWKSFetchError {
            throw error
        } catch {
            throw JWKSFetchError("\(error)")
        }
        let decoded: (keys: JWTKeySet, skipped: Int)
        do {
            decoded = try await JWTKeySet.decode(jwks: Data(body.readableBytesView), skippingUnusable: true)
        } catch {
            throw JWKSFetchError("not a JWKS document: \(error)")
        }
        guard decoded.keys.count > 0 else {
            throw JWKSFetchError("the key set holds no usable key (\(decoded.skipped) skipped)")
        }
        return (decoded.keys, decoded.skipped, cacheControl.flatMap(CacheControlMaxAge.parse))
    }
}

/// Why a fetch of the key set failed, for the log and `/health/ready`.
struct JWKSFetchError: Error {
    let reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
