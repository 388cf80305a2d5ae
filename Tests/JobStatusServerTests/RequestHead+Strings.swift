import NIOHTTP1

@testable import JobStatusServer

extension RequestHead {
    /// A head from strings, as the parser would gather it from the same lines: the tables of the
    /// planner and the machine, and the parser's differential test, state heads this way.
    convenience init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: [(String, String)]) {
        self.init(method: method, version: version, target: target)
        for (name, value) in headers {
            var name = name
            var value = value
            name.withUTF8 { name in
                value.withUTF8 { value in self.take(name: UnsafeRawBufferPointer(name), value: UnsafeRawBufferPointer(value)) }
            }
        }
    }
}
