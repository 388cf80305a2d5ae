extension UInt8 {
    /// The value of a hexadecimal digit, either case; nil for any other byte. One spelling for
    /// every reader of hex above RedisWire: JSON's `\u` escapes, chunk sizes, IPv6 literals in
    /// `Host`. (RedisWire imports no JobStatusCore: its URL escapes have a reader of their own.)
    @inlinable
    public var hexValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
