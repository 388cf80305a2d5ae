/// A record's eta, parsed once per poll: the stored text, the instant it names (for
/// `Retry-After`), and whether the text already is the published form (then the envelope copies
/// it; otherwise, a leap second or an offset or a precision the published form does not take, it
/// is rewritten in that form).
public struct StoredETA {
    public let text: UnsafeRawBufferPointer
    public let millisecondsSinceEpoch: Int64
    public let isPublishedForm: Bool

    /// nil when `text` is not an RFC 3339 timestamp the published form can express (years 0–9999
    /// once in UTC, at most nine fraction digits): such a record breaks the contract. Text longer
    /// than any valid eta is refused by its length alone, unread (`RFC3339.maximumLength`): the
    /// eta is parsed on every poll, and a record written around the script could hold megabytes.
    public init?(_ text: UnsafeRawBufferPointer) {
        guard let milliseconds = RFC3339.millisecondsSinceEpoch(text), RFC3339.writableMilliseconds.contains(milliseconds)
        else { return nil }
        self.text = text
        self.millisecondsSinceEpoch = milliseconds
        self.isPublishedForm = RFC3339.hasPublishedShape(text)
    }
}
