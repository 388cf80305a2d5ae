import JobStatusCore
import Testing

@testable import JobStatusServer

@Suite("Routing")
struct RequestTargetTests {
    @Test(
        "job paths, the jobs segment in any case",
        arguments: [
            ("/api/jobs/abc", "abc"), ("/jobs/abc", "abc"), ("/Jobs/NBXk9EyErUZv1RhXgyvgg", "NBXk9EyErUZv1RhXgyvgg"),
            ("/api/JOBS/x?wait=5", "x"), ("/api/jobs/a%20b", "a%20b"), ("/api/jobs/", ""),
            ("http://example.com/api/jobs/abc", "abc"),
        ]
    )
    func jobs(uri: String, id: String) {
        #expect(RequestTarget(uri: uri).route == .job(id: id[...], isValidID: JobID.isValid(id)))
    }

    @Test("event streams")
    func events() {
        #expect(RequestTarget(uri: "/api/jobs/abc/events").route == .jobEvents(id: "abc", isValidID: true))
        #expect(RequestTarget(uri: "/jobs/a.b/events?x").route == .jobEvents(id: "a.b", isValidID: false))
        #expect(RequestTarget(uri: "/api/jobs/abc/event").route == .unknown)
        #expect(RequestTarget(uri: "/api/jobs/abc/events/").route == .unknown)
    }

    @Test(
        "job lists: ids in order, each once, split at commas (also %2C), across ids parameters, empty elements skipped",
        arguments: [
            ("/api/jobs?ids=a,b,c", ["a", "b", "c"]), ("/JOBS?ids=b,a,b,a", ["b", "a"]), ("/jobs?ids=a%2Cb%2cc", ["a", "b", "c"]),
            ("/api/jobs?wait=5&ids=a&x=1&ids=b,a", ["a", "b"]), ("/api/jobs?ids=,a,,b,", ["a", "b"]),
            ("/api/jobs?ids=a.b,%22x%22,a%20b", ["a.b", "%22x%22", "a%20b"]), ("/api/jobs?ids=a%2", ["a%2"]),
        ]
    )
    func jobLists(uri: String, ids: [String]) {
        let target = RequestTarget(uri: uri)
        guard case .jobList(.listed) = target.route else {
            Issue.record("\(uri): \(target.route)")
            return
        }
        #expect(target.ids(maxDistinct: 100) == ids.map { $0[...] })
        #expect(target.label == .jobList)
    }

    @Test("job lists without ids, with more distinct ids than the limit, or more elements than twice the limit")
    func jobListBounds() {
        for uri in ["/api/jobs", "/api/jobs?ids=", "/api/jobs?ids=,,%2C", "/api/jobs?ids", "/api/jobs?id=a", "/jobs?wait=3"] {
            #expect(RequestTarget(uri: uri).route == .jobList(.none), "\(uri)")
        }
        let hundred = (0..<100).map { "j\($0)" }.joined(separator: ",")
        #expect(RequestTarget(uri: "/api/jobs?ids=\(hundred)").ids(maxDistinct: 100)?.count == 100)
        #expect(RequestTarget(uri: "/api/jobs?ids=\(hundred),j0,j99").ids(maxDistinct: 100)?.count == 100, "repeats are not distinct ids")
        #expect(RequestTarget(uri: "/api/jobs?ids=\(hundred),x").route == .jobList(.listed(count: 101)))
        #expect(RequestTarget(uri: "/api/jobs?ids=\(hundred),x").ids(maxDistinct: 100) == nil, "101 distinct ids")
        #expect(RequestTarget(uri: "/api/jobs?ids=a,b,c", maxListedIDs: 2).ids(maxDistinct: 2) == nil)
        // Elements are bounded before anything else is read: repeats and empty ones count.
        let twoHundred = Array(repeating: "j0", count: 200).joined(separator: ",")
        #expect(RequestTarget(uri: "/api/jobs?ids=\(twoHundred)").route == .jobList(.listed(count: 200)))
        #expect(RequestTarget(uri: "/api/jobs?ids=\(twoHundred),j0").route == .jobList(.tooMany), "201 elements of one id")
        #expect(RequestTarget(uri: "/api/jobs?ids=a" + String(repeating: ",", count: 200)).route == .jobList(.tooMany), "empty elements count")
        #expect(RequestTarget(uri: "/api/jobs?ids=a" + String(repeating: ",", count: 199)).route == .jobList(.listed(count: 1)))
        #expect(RequestTarget(uri: "/api/jobs?ids=a,b,c&wait=7").wait == .seconds(7))
        #expect(RequestTarget(uri: "/api/jobsx?ids=a").route == .unknown)
        #expect(RequestTarget(uri: "/api/jobs/?ids=a").route == .job(id: "", isValidID: false))
    }

    @Test("the wait parameter")
    func wait() {
        #expect(RequestTarget(uri: "/api/jobs/x").wait == .absent)
        #expect(RequestTarget(uri: "/api/jobs/x?wait=0").wait == .seconds(0))
        #expect(RequestTarget(uri: "/api/jobs/x?a=1&wait=25&wait=3").wait == .seconds(25))
        #expect(RequestTarget(uri: "/api/jobs/x?wait=99999999999999999999").wait == .seconds(Int(Int32.max)))
        for bad in ["wait=", "wait", "wait=-1", "wait=1.5", "wait=abc", "wait=%31", "wait=+3"] {
            #expect(RequestTarget(uri: "/api/jobs/x?\(bad)").wait == .invalid, "\(bad)")
        }
        #expect(RequestTarget(uri: "/api/jobs/x?waiting=1").wait == .absent)
    }

    @Test("the path, without the query, is what meta.url repeats")
    func path() {
        #expect(RequestTarget(uri: "/api/jobs/x?wait=5#frag").path == "/api/jobs/x")
        #expect(RequestTarget(uri: "http://example.com/api/jobs/x?y").path == "/api/jobs/x")
        #expect(RequestTarget(uri: "http://example.com").path == "/")
    }

    @Test("health")
    func health() {
        #expect(RequestTarget(uri: "/health/live").route == .healthLive)
        #expect(RequestTarget(uri: "/health/ready?verbose").route == .healthReady)
    }

    @Test(
        "everything else is unknown",
        arguments: [
            "/", "", "*", "/api", "/api/jobs/a/b", "/api/jobsx", "/api/job/x", "/v1/jobs/x", "/api/api/jobs/x", "/API/jobs/x",
            "/health", "/health/live/", "/jobsx/a", "jobs/x",
        ]
    )
    func unknown(uri: String) {
        #expect(RequestTarget(uri: uri).route == .unknown)
    }
}
