extension StringProtocol {
    /// Without leading and trailing spaces and tabs.
    public func trimmingBlanks() -> SubSequence {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isBlank($0) }), let last = self.lastIndex(where: { !isBlank($0) }) else {
            return self[self.endIndex...]
        }
        return self[first...last]
    }
}
