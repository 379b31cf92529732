/// Asks Sentinels where the master is, on the caller's (connection) thread.
///
/// Each Sentinel gets a short, fresh connection: resolving happens only on (re)connect and on the subscriber's
/// periodic check, so a pooled Sentinel connection would buy nothing and would need its own failure handling.
enum SentinelResolver {
    /// The master's address according to the first Sentinel that knows it.
    static func master(_ settings: SentinelSettings, connectTimeout: Duration) throws(RedisError) -> SentinelSettings.Address {
        var failures: [String] = []
        var timeouts = RedisConfiguration(host: "", port: 0)
        timeouts.connectTimeout = min(connectTimeout, settings.queryTimeout)
        timeouts.commandTimeout = settings.queryTimeout
        for sentinel in settings.sentinels {
            do throws(RedisError) {
                let connection = try RedisConnection(host: sentinel.host, port: sentinel.port, configuration: timeouts, handshake: false)
                defer { connection.close() }
                let command = ["SENTINEL", "get-master-addr-by-name", settings.masterName].map { Array($0.utf8) }
                let reply = try connection.execute([command]).first
                guard let parts = reply?.array, parts.count == 2, let host = parts[0].text, let port = parts[1].int, port > 0 else {
                    failures.append("\(sentinel): \(reply?.description ?? "no reply")")
                    continue
                }
                return SentinelSettings.Address(host: host, port: port)
            } catch {
                failures.append("\(error)")
            }
        }
        throw .unavailable("no Sentinel named a master for \(settings.masterName): \(failures.joined(separator: "; "))")
    }
}
