/// The version of jobstatus, as `jobstatus --version` and the `jobstatus_build_info` metric
/// report it.
public enum JobStatusVersion {
    public static let current = "0.1.0"
}
