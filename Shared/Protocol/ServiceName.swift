/// The backing services the edge talks to over RPC, with their default socket names under the run dir.
public enum ServiceName: String, CaseIterable, Codable, Sendable {
    case auth
    case menu
    case scheduler
    case signer

    /// The executable name, which is also the lock and socket name.
    public var executable: String { rawValue }
}

/// The version every process reports in `sys.health` and `/health`.
public enum SwitchboardVersion {
    public static let current = "0.1.0"
}
