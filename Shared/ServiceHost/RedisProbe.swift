import Foundation
import Redis
import ServiceKit
import SwitchboardProtocol

/// Measures Redis from this process, for its `sys.health` reply (which the edge's `/health` aggregates) and `switchboard status`.
public enum RedisProbe {
    public static func check(_ redis: RedisClient) async -> RedisHealth {
        do {
            let latency = try await redis.ping()
            return RedisHealth(reachable: true, latencyMs: latency.milliseconds)
        } catch {
            return RedisHealth(reachable: false, error: "\(error)")
        }
    }
}
