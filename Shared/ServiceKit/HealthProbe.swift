import Foundation
import Redis
import SwitchboardProtocol

/// Measures Redis from this process, for `sys.health` and the edge's `/health`.
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

extension Duration {
    /// The duration in milliseconds, rounded to microseconds.
    public var milliseconds: Double {
        let parts = components
        let ms = Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
        return (ms * 1000).rounded() / 1000
    }
}
