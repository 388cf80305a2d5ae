/// One resource a processed job produced: `{"entity": …, "href": …}`.
public struct JobLink: Sendable, Equatable {
    public var entity: String
    public var href: String

    public init(entity: String, href: String) {
        self.entity = entity
        self.href = href
    }

    /// Parses the CLI form `ENTITY=HREF`.
    public init?(parsing text: String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
        let href = text[text.index(after: equals)...]
        guard !href.isEmpty else { return nil }
        self.init(entity: String(text[..<equals]), href: String(href))
    }
}
