/// One entry of a `validation_failed` error's `invalid` list, in the API's format:
/// `{"entry_type", "entry", "rules": [{"rule", "params": [], "description"}]}`.
public struct InvalidEntry: Sendable {
    public let entryType: StaticString
    public let entry: StaticString
    public let rule: StaticString
    public let description: String

    public init(entryType: StaticString, entry: StaticString, rule: StaticString, description: String) {
        self.entryType = entryType
        self.entry = entry
        self.rule = rule
        self.description = description
    }
}
