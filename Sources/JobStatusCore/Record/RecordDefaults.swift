/// The defaults a job record gets when its writer does not say, written once. The TTLs are the
/// write script's own (`DEFAULT_PENDING_TTL`, `DEFAULT_TERMINAL_TTL`: what a worker in another
/// language gets by passing no `ttl`), read from the script itself so that the Swift writer, the
/// CLI and the configuration's defaults cannot drift from it.
public enum RecordDefaults {
    /// How long a pending record lives without progress.
    public static let pendingTTL: Duration = .seconds(WriteScript.integerConstant("DEFAULT_PENDING_TTL"))
    /// How long a terminal record stays readable.
    public static let terminalTTL: Duration = .seconds(WriteScript.integerConstant("DEFAULT_TERMINAL_TTL"))
    /// The eta of a job created without one. The script has none: `create` requires an eta.
    public static let defaultETA: Duration = .seconds(60)
}
