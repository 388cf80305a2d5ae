extension UnsafeRawBufferPointer {
    /// Whether these bytes are exactly `literal`'s: a length check, then two buffers compared.
    /// Comparing with a `String`'s `utf8` view instead walks it index by index, which was a tenth
    /// of the stored links' check on every poll.
    @inlinable
    public func equals(_ literal: StaticString) -> Bool {
        self.count == literal.utf8CodeUnitCount
            && self.elementsEqual(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
