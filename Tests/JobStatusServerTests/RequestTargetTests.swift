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
        #expect(RequestTarget(uri: uri).route == .job(id: id[...]))
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
            "/", "", "*", "/api", "/api/jobs", "/api/jobs/a/b", "/api/job/x", "/v1/jobs/x", "/api/api/jobs/x", "/API/jobs/x",
            "/health", "/health/live/", "/jobsx/a", "jobs/x",
        ]
    )
    func unknown(uri: String) {
        #expect(RequestTarget(uri: uri).route == .unknown)
    }
}
