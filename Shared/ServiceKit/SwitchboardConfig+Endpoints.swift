import SwitchboardProtocol

extension SwitchboardConfig {
    /// Where a client of `service` connects: `SWITCHBOARD_<NAME>_ENDPOINTS` (comma-separated, one per instance, e.g. two
    /// schedulers on two hosts), else the one endpoint the service binds. The bus connects to every one in the list.
    public func connectEndpoints(for service: ServiceName) -> String {
        string("SWITCHBOARD_\(service.rawValue.uppercased())_ENDPOINTS", default: endpoint(for: service))
    }

    /// Every scheduler's XPUB the edges subscribe to: `SWITCHBOARD_EVENTS_ENDPOINTS`, else `eventsEndpoint`.
    public var eventsConnectEndpoints: String { string("SWITCHBOARD_EVENTS_ENDPOINTS", default: eventsEndpoint) }

    /// Every scheduler's PULL the edges and menu push to: `SWITCHBOARD_INGEST_ENDPOINTS`, else `ingestEndpoint`.
    public var ingestConnectEndpoints: String { string("SWITCHBOARD_INGEST_ENDPOINTS", default: ingestEndpoint) }
}
