import Foundation

/// Where and how to reach one Redis server.
///
/// Kept as a plain value so services can build it from a `redis://` URL in their configuration and
/// hand the same value to a `RedisClient` and to `RedisSubscriber`s. The timeouts bound every blocking
/// call the connection thread makes, so no caller ever waits on Redis for longer than they allow.
public struct RedisConfiguration: Sendable, Equatable {
    /// Host name or IP address.
    public var host: String
    /// TCP port.
    public var port: Int
    /// Database selected with SELECT after every (re)connect; 0 sends nothing.
    public var database: Int = 0
    /// ACL user name for `AUTH username password` (Redis 6+); nil means `AUTH password`.
    public var username: String? = nil
    /// Password sent with AUTH after every (re)connect; nil sends nothing.
    public var password: String? = nil
    /// Bound on establishing the TCP connection.
    public var connectTimeout: Duration = .seconds(2)
    /// Bound on each socket read or write while a command is in flight.
    public var commandTimeout: Duration = .seconds(5)
    /// First and largest delay between reconnect attempts; the delay doubles after each failure.
    public var reconnectBackoff: ClosedRange<Duration> = .milliseconds(50) ... .seconds(2)
    /// When set, `host`/`port` are only a fallback label: every (re)connect asks these Sentinels for the master.
    public var sentinel: SentinelSettings? = nil
    /// Replicas an acknowledged write waits for (`WAIT n timeout` after it); 0 sends no WAIT.
    public var waitReplicas: Int = 0
    /// Bound on that WAIT; a write that reached fewer replicas in time fails with `RedisError.timeout`.
    public var waitTimeout: Duration = .milliseconds(500)

    /// Describes `host:port` with every other setting at its default unless given.
    public init(
        host: String,
        port: Int = 6379,
        database: Int = 0,
        password: String? = nil,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(5),
        reconnectBackoff: ClosedRange<Duration> = .milliseconds(50) ... .seconds(2)
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.password = password
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoff = reconnectBackoff
    }

    /// Parses `redis://[[username]:password@]host[:port][/db]`; the port defaults to 6379 and the database to 0.
    /// The password may be percent-encoded. Throws `RedisConfiguration.URLError` for anything else.
    public init(url: String) throws {
        let prefix = "redis://"
        guard url.lowercased().hasPrefix(prefix) else {
            throw URLError(url: url, reason: "scheme must be redis:// (TLS is not supported)")
        }
        var rest = Substring(url.dropFirst(prefix.count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = String(userInfo[..<colon])
                let secret = String(userInfo[userInfo.index(after: colon)...])
                username = user.isEmpty ? nil : (user.removingPercentEncoding ?? user)
                password = secret.removingPercentEncoding ?? secret
            } else if !userInfo.isEmpty {
                // `redis://secret@host` is commonly meant as a bare password.
                password = String(userInfo).removingPercentEncoding ?? String(userInfo)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else { throw URLError(url: url, reason: "database must be a number") }
                database = db
            }
        }
        let host: String
        var port = 6379
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw URLError(url: url, reason: "unterminated IPv6 address") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()) else {
                    throw URLError(url: url, reason: "invalid port")
                }
                port = value
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            guard let value = Int(rest[rest.index(after: colon)...]) else { throw URLError(url: url, reason: "invalid port") }
            port = value
        } else {
            host = String(rest)
        }
        guard !host.isEmpty else { throw URLError(url: url, reason: "missing host") }
        guard (1...65535).contains(port) else { throw URLError(url: url, reason: "port out of range") }
        self.init(host: host, port: port, database: database, password: password)
        self.username = username
    }

    /// `host:port`, as used in log lines and error messages.
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// What log lines call this server: `host:port`, or the Sentinel master name (the address changes on failover).
    public var label: String { sentinel.map { "sentinel:\($0.masterName)" } ?? endpoint }

    /// A URL that could not be parsed by `RedisConfiguration(url:)`.
    public struct URLError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The URL with any password masked.
        public let url: String
        public let reason: String

        init(url: String, reason: String) {
            self.url = RedisConfiguration.masked(url)
            self.reason = reason
        }

        public var description: String { "invalid redis URL \(url): \(reason)" }
    }

    static func masked(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        return String(url[..<scheme.upperBound]) + "***" + String(url[at...])
    }
}
