import Redis
import ServiceKit

extension SwitchboardConfig {
    /// How every process reaches Redis: `SWITCHBOARD_REDIS_URL` for credentials and database (and the server itself when
    /// no Sentinel is configured), or with `SWITCHBOARD_REDIS_SENTINELS=host:port,…` and `SWITCHBOARD_REDIS_MASTER=name`
    /// the master those Sentinels name. With Sentinel, acknowledged writes wait for
    /// `SWITCHBOARD_REDIS_WAIT_REPLICAS` (default 1) replicas for up to `SWITCHBOARD_REDIS_WAIT_TIMEOUT_MS` (default 500);
    /// without it they wait for none unless that variable says so.
    public func redisConfiguration() throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: redisURL)
        let sentinels = string("SWITCHBOARD_REDIS_SENTINELS", default: "")
        if !sentinels.isEmpty {
            configuration.sentinel = try SentinelSettings(list: sentinels, masterName: string("SWITCHBOARD_REDIS_MASTER", default: "switchboard"))
            // Reconnect attempts stay frequent, so the new master is in use soon after Sentinel names it.
            configuration.reconnectBackoff = .milliseconds(50) ... .milliseconds(250)
        }
        configuration.waitReplicas = max(0, int("SWITCHBOARD_REDIS_WAIT_REPLICAS", default: sentinels.isEmpty ? 0 : 1))
        configuration.waitTimeout = .milliseconds(max(1, int("SWITCHBOARD_REDIS_WAIT_TIMEOUT_MS", default: 500)))
        return configuration
    }
}
