import OpenSSLCrypto
import Redis

/// A Lua script run atomically in Redis, sent by its SHA-1 (`EVALSHA`) and loaded on demand.
///
/// Every check-and-update of auth's shared state (rotation, admission, buckets) is one script, so concurrent callers and
/// several edges cannot interleave between the read and the write. Sending the digest instead of the source keeps each
/// call small; after a Redis restart (`NOSCRIPT`) the source is sent once again.
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
