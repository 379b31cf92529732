import NIOCore
import ServiceKit

/// The edge listener's bounds on what one TCP connection may hold, before any route or WebSocket exists.
///
/// Every accepted socket costs a descriptor and a little memory; a client that connects and never finishes a request
/// (slowloris) would otherwise keep both forever. So a request head must arrive within `headerTimeout`, an idle
/// keep-alive connection is closed after `idleTimeout`, and connections are capped per edge and per peer address.
struct EdgeHTTPLimits: Sendable {
    /// `SWITCHBOARD_HTTP_HEADER_TIMEOUT_SECONDS` (10): time from accept to a complete first request head.
    var headerTimeout: TimeAmount
    /// `SWITCHBOARD_HTTP_IDLE_TIMEOUT_SECONDS` (30): how long a keep-alive connection may wait, after an answer, for
    /// the next request's complete head.
    var idleTimeout: Duration
    /// `SWITCHBOARD_EDGE_MAX_CONNECTIONS` (20000): open TCP connections of this edge, HTTP and WebSocket together.
    var maxConnections: Int
    /// `SWITCHBOARD_EDGE_MAX_CONNECTIONS_PER_IP`: open TCP connections from one peer address, counted at accept. Unset,
    /// it is 256 or twice auth's WebSocket limit per IP (`SWITCHBOARD_MAX_CONNECTIONS_PER_IP`), whichever is larger, so
    /// lifting the WebSocket limit (a plant behind one NAT address, a load test) is never undone by this lower layer.
    var maxConnectionsPerIP: Int

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(headerTimeout: TimeAmount, idleTimeout: Duration, maxConnections: Int, maxConnectionsPerIP: Int) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxConnectionsPerIP = maxConnectionsPerIP
    }

    init(config: SwitchboardConfig) throws(Invalid) {
        let header = config.double("SWITCHBOARD_HTTP_HEADER_TIMEOUT_SECONDS", default: 10)
        let idle = config.double("SWITCHBOARD_HTTP_IDLE_TIMEOUT_SECONDS", default: 30)
        for (name, value) in [("SWITCHBOARD_HTTP_HEADER_TIMEOUT_SECONDS", header), ("SWITCHBOARD_HTTP_IDLE_TIMEOUT_SECONDS", idle)]
        where !(value > 0 && value <= 86_400) {
            throw Invalid(description: "\(name) must be a number of seconds above 0 and at most 86400, not \(value)")
        }
        let total = config.int("SWITCHBOARD_EDGE_MAX_CONNECTIONS", default: 20_000)
        let webSocketsPerIP = config.int("SWITCHBOARD_MAX_CONNECTIONS_PER_IP", default: 10)
        let perIP = config.int(
            "SWITCHBOARD_EDGE_MAX_CONNECTIONS_PER_IP", default: max(256, min(webSocketsPerIP, Int.max / 2) * 2))
        for (name, value) in [("SWITCHBOARD_EDGE_MAX_CONNECTIONS", total), ("SWITCHBOARD_EDGE_MAX_CONNECTIONS_PER_IP", perIP)] where value < 1 {
            throw Invalid(description: "\(name) must be at least 1, not \(value)")
        }
        self.init(
            headerTimeout: .milliseconds(Int64(header * 1000)),
            idleTimeout: .milliseconds(Int64(idle * 1000)),
            maxConnections: total,
            maxConnectionsPerIP: perIP
        )
    }
}
