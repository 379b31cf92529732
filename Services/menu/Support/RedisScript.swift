import OpenSSLCrypto
import Redis

/// A Lua script run atomically in Redis, sent by its SHA-1 (`EVALSHA`) and loaded on demand.
///
/// Every menu and role write is one script (data, version, log and meta together), so a reader never sees a half-done
/// change and two admins cannot interleave. After a Redis restart (`NOSCRIPT`) the source is sent once again.
struct RedisScript: Sendable {
    let source: String
    let sha: String

    init(_ source: String) {
        self.source = source
        sha = Hex.encode(Digest.sha1(Array(source.utf8)))
    }

    func run(_ redis: RedisClient, keys: [String], arguments: [String]) async throws -> RedisValue {
        let tail = [String(keys.count)] + keys + arguments
        do {
            return try await redis.send(["EVALSHA", sha] + tail)
        } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {
            return try await redis.send(["EVAL", source] + tail)
        }
    }
}
