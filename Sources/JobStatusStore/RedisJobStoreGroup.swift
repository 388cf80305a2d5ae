public import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import RedisWire

/// The `RedisJobStore` of every event loop of a group, and what they share: the routers (one
/// per loop, the front's connection pool), the instance's subscriptions (`SubscriptionHub`) and
/// what they tell (`JobVersionBook`).
public final class RedisJobStoreGroup: Sendable {
    private let routers: RedisRouterGroup
    private let hub: SubscriptionHub
    private let stores: [ObjectIdentifier: NIOLoopBound<RedisJobStore>]

    /// Connects (waiting until each router's first attempt settled; a Redis that is down does not
    /// prevent start-up, the connections keep retrying) and makes one store per loop.
    public init(group: any EventLoopGroup, deployment: RedisDeployment, keyPrefix: String, logger: Logger) async {
        let routers = await RedisRouterGroup(group: group, deployment: deployment, logger: logger)
        let book = JobVersionBook()
        // Changes reach the loops' registries through the stores, which themselves need the hub:
        // the hub delivers through a box filled in once the stores exist.
        let registries = RegistryDirectory()
        let hub = await SubscriptionHub(eventLoop: group.next(), deployment: deployment, routers: routers, book: book, logger: logger) {
            eventLoop, delivery in
            eventLoop.execute {
                guard let store = registries.store(on: eventLoop) else { return }
                switch delivery {
                case .changed(let key):
                    Self.whenReady(store, on: eventLoop, patience: Self.resumePatience) { store.registry.tell(.changed, about: key) }
                case .resumed(let key):
                    Self.whenReady(store, on: eventLoop, patience: Self.resumePatience) { store.registry.tell(.resumed, about: key) }
                case .broken(let key):
                    store.registry.broken(key)
                }
            }
        }
        var stores: [ObjectIdentifier: NIOLoopBound<RedisJobStore>] = [:]
        for eventLoop in group.makeIterator() {
            stores[ObjectIdentifier(eventLoop)] = try! await eventLoop.submit {
                let registry = JobWatchRegistry(source: hub, eventLoop: eventLoop)
                let store = RedisJobStore(router: routers.router(on: eventLoop), registry: registry, book: book, keyPrefix: keyPrefix)
                return NIOLoopBound(store, eventLoop: eventLoop)
            }.get()
        }
        registries.fill(stores)
        self.routers = routers
        self.hub = hub
        self.stores = stores
    }

    /// The store of `eventLoop`; call it on that loop.
    public func store(on eventLoop: any EventLoop) -> RedisJobStore {
        guard let bound = self.stores[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("event loop \(eventLoop) is not part of this store group")
        }
        return bound.value
    }

    /// The number of jobs the subscriber connection is subscribed to.
    public func subscriptionCount() async -> Int {
        await self.hub.subscriptionCount()
    }

    /// How long a loop's re-reads after a change or a resumed subscription wait for the loop's own
    /// connection.
    static let resumePatience = 40
    static let resumePatienceStep = TimeAmount.milliseconds(50)

    /// Runs `body` at once when the loop's own connection is ready, else once it is (after a
    /// failover the subscriber may reach the new primary, and hear a write there, a moment before
    /// the loop's router does) or after `resumePatience` steps of 50 ms without it.
    private static func whenReady(_ store: RedisJobStore, on eventLoop: any EventLoop, patience: Int, _ body: @escaping () -> Void) {
        guard store.router.isReady || patience == 0 else {
            eventLoop.assumeIsolated().scheduleTask(in: Self.resumePatienceStep) {
                Self.whenReady(store, on: eventLoop, patience: patience - 1, body)
            }
            return
        }
        body()
    }

    /// Closes the subscriber connections, then every router.
    public func shutdown() async {
        await self.hub.shutdown()
        await self.routers.shutdown()
    }
}

/// Finds a loop's registry for the hub's deliveries; filled once, after the stores exist.
private final class RegistryDirectory: Sendable {
    private let stores = NIOLockedValueBox<[ObjectIdentifier: NIOLoopBound<RedisJobStore>]>([:])

    func fill(_ stores: [ObjectIdentifier: NIOLoopBound<RedisJobStore>]) {
        self.stores.withLockedValue { $0 = stores }
    }

    /// Call on `eventLoop`.
    func store(on eventLoop: any EventLoop) -> RedisJobStore? {
        self.stores.withLockedValue { $0[ObjectIdentifier(eventLoop)] }?.value
    }
}
