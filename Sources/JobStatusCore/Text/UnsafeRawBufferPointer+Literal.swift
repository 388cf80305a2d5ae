extension UnsafeRawBufferPointer {
    /// Whether these bytes are exactly `literal`'s: a length check, then two buffers compared.
    /// Comparing with a `String`'s `utf8` view instead walks it index by index, which was a tenth
    /// of the stored links' check on every poll.
    @inlinable
    public func equals(_ literal: StaticString) -> Bool {
        guard self.count == literal.utf8CodeUnitCount else { return false }
        let expected = literal.utf8Start
        for index in 0..<self.count where self[index] != expected[index] {
            return false
        }
        return true
    }
}
