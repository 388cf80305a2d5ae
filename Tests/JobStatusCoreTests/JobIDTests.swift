import JobStatusCore
import Testing

@Suite("Job ids")
struct JobIDTests {
    @Test("valid ids", arguments: ["a", "NBXk9EyErUZv1RhXgyvgg", "job_1-2", String(repeating: "x", count: 64)])
    func valid(id: String) {
        #expect(JobID.isValid(id))
    }

    @Test(
        "invalid ids",
        arguments: ["", String(repeating: "x", count: 65), "a b", "a/b", "a%20", "ü", "a.b", "a\u{0}", "a:b", "../x"]
    )
    func invalid(id: String) {
        #expect(!JobID.isValid(id))
    }

    @Test("generated ids are 22 base62 characters and do not repeat")
    func generated() {
        let ids = (0..<2000).map { _ in JobID.generate() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.utf8.count == JobID.generatedLength)
            #expect(id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        }
    }
}
