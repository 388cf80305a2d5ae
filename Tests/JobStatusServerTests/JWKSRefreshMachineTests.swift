import JobStatusConfiguration
import Testing

@testable import JobStatusServer

/// When the keys of `auth.jwt.jwks_url` are fetched: at start-up, when their lifetime is over,
/// after a failure, and for unknown kids at most once per `jwks_min_refresh`.
@Suite("JWKS refresh machine")
struct JWKSRefreshMachineTests {
    enum Event {
        /// Time passes, in seconds.
        case advance(Int)
        case unknownKey
        case loopLooks
        case fetched(maxAge: Int?)
        case failed
        case stop
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let events: [Event]
        /// One word per event that answers: the unknown kid's action, whether the loop fetches.
        let answers: [String]
        var testDescription: String { self.name }
    }

    static let start = ContinuousClock.now

    static func run(_ events: [Event]) -> (answers: [String], machine: JWKSRefreshMachine) {
        var settings = JWTSettings()
        settings.jwksMinRefresh = .seconds(10)
        settings.jwksCacheMin = .seconds(60)
        settings.jwksCacheMax = .seconds(3600)
        var now = Self.start
        var machine = JWKSRefreshMachine(settings: settings, now: now)
        var answers: [String] = []
        for event in events {
            switch event {
            case .advance(let seconds): now += .seconds(seconds)
            case .unknownKey: answers.append("\(machine.unknownKey(now: now))")
            case .loopLooks: answers.append(machine.fetchDue(now: now) ? "fetch" : "sleep")
            case .fetched(let maxAge): machine.fetched(maxAge: maxAge.map { .seconds($0) }, now: now)
            case .failed: machine.failed("503", now: now)
            case .stop: machine.stop()
            }
        }
        return (answers, machine)
    }

    static let cases: [Case] = [
        Case(name: "the first fetch is asked for at start-up; tokens before it wait for it", events: [.loopLooks, .unknownKey], answers: ["fetch", "wait"]),
        Case(
            name: "a set is used for its max-age, then fetched again",
            events: [.loopLooks, .fetched(maxAge: 300), .advance(299), .loopLooks, .advance(1), .loopLooks],
            answers: ["fetch", "sleep", "fetch"]
        ),
        Case(
            name: "a max-age below jwks_cache_min is raised to it",
            events: [.fetched(maxAge: 5), .advance(59), .loopLooks, .advance(1), .loopLooks],
            answers: ["sleep", "fetch"]
        ),
        Case(
            name: "a max-age above jwks_cache_max, or none, is lowered to it",
            events: [.fetched(maxAge: 86400), .advance(3599), .loopLooks, .advance(1), .loopLooks, .fetched(maxAge: nil), .advance(3600), .loopLooks],
            answers: ["sleep", "fetch", "fetch"]
        ),
        Case(
            name: "an unknown kid within jwks_min_refresh of the last fetch is refused; after it, it starts one that others join",
            events: [.fetched(maxAge: 3600), .advance(9), .unknownKey, .advance(1), .unknownKey, .unknownKey, .loopLooks],
            answers: ["refuse", "fetch", "wait", "fetch"]
        ),
        Case(
            name: "a storm of unknown kids: one fetch per jwks_min_refresh",
            events: [
                .fetched(maxAge: 3600), .advance(10), .unknownKey, .fetched(maxAge: 3600), .unknownKey, .advance(5), .unknownKey,
                .advance(5), .unknownKey,
            ],
            answers: ["fetch", "refuse", "refuse", "fetch"]
        ),
        Case(
            name: "a failed fetch is tried again after jwks_min_refresh; its failure is kept until one succeeds",
            events: [.failed, .advance(9), .loopLooks, .advance(1), .loopLooks, .failed, .advance(10), .loopLooks],
            answers: ["sleep", "fetch", "fetch"]
        ),
        Case(
            name: "stopped (shutdown): nothing is fetched, unknown kids are decided at once, even with a fetch in flight",
            events: [.stop, .unknownKey, .advance(3600), .loopLooks, .fetched(maxAge: 60), .advance(60), .loopLooks, .unknownKey],
            answers: ["refuse", "sleep", "sleep", "refuse"]
        ),
    ]

    @Test("the schedule", arguments: Self.cases)
    func schedule(_ testCase: Case) {
        #expect(Self.run(testCase.events).answers == testCase.answers)
    }

    @Test("the health: no keys until a fetch succeeds; failures counted from the first, cleared by a success")
    func health() {
        let failing = Self.run([.failed, .advance(10), .loopLooks, .advance(3), .failed]).machine
        #expect(failing.loadedAt == nil)
        #expect(failing.failure == JWKSRefreshMachine.Failure(reason: "503", since: Self.start, attempts: 2))
        let recovered = Self.run([.failed, .advance(10), .loopLooks, .fetched(maxAge: nil)]).machine
        #expect(recovered.loadedAt == Self.start + .seconds(10))
        #expect(recovered.failure == nil)
    }

    @Test("Cache-Control: max-age, and no-store or no-cache as zero", arguments: [
        ("max-age=300", 300), ("public, max-age=86400, must-revalidate", 86400), ("max-age=\"60\"", 60), ("no-store", 0),
        ("max-age=300, no-cache", 0), ("private", nil), ("max-age=-1", nil), ("max-age=1e3", nil), ("=, max-age", nil),
        ("max-age=99999999999999999999", Int.max),
    ] as [(String, Int?)])
    func cacheControl(value: String, seconds: Int?) {
        #expect(CacheControlMaxAge.parse(value) == seconds.map { .seconds(Int64($0 == Int.max ? Int(Int64.max) : $0)) })
    }
}
