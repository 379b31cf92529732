import Synchronization

/// A Lua script run atomically in Redis by its SHA1 (`EVALSHA`), loaded with `SCRIPT LOAD` the first time and again whenever Redis has
/// forgotten it (`NOSCRIPT`, e.g. after a restart), so hot paths do not send the script text with every call.
/// Every check-and-update of shared state (auth's admission and buckets, menu writes, chat posts) is one such script, so
/// concurrent callers on several edges cannot interleave between the read and the write.
public final class RedisScript: Sendable {
    public let source: String
    private let sha = Mutex<String?>(nil)

    public init(_ source: String) {
        self.source = source
    }

    public func run(_ redis: RedisClient, keys: [String], arguments: [String]) async throws -> RedisValue {
        let tail = [String(keys.count)] + keys + arguments
        if let known = sha.withLock({ $0 }) {
            do {
                return try await redis.send(["EVALSHA", known] + tail)
            } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {
                sha.withLock { $0 = nil }
            }
        }
        guard let loaded = try await redis.send(["SCRIPT", "LOAD", source]).text else {
            return try await redis.send(["EVAL", source] + tail)
        }
        sha.withLock { $0 = loaded }
        return try await redis.send(["EVALSHA", loaded] + tail)
    }

    /// `run` for a write acknowledged to a client: waits for the replicas `RedisClient.sendDurable` requires.
    public func runDurable(_ redis: RedisClient, keys: [String], arguments: [String]) async throws -> RedisValue {
        let tail = [String(keys.count)] + keys + arguments
        if let known = sha.withLock({ $0 }) {
            do {
                return try await redis.sendDurable(["EVALSHA", known] + tail)
            } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {
                sha.withLock { $0 = nil }
            }
        }
        guard let loaded = try await redis.send(["SCRIPT", "LOAD", source]).text else {
            return try await redis.sendDurable(["EVAL", source] + tail)
        }
        sha.withLock { $0 = loaded }
        return try await redis.sendDurable(["EVALSHA", loaded] + tail)
    }

    /// The command that runs it inside a pipeline (by its text, since a `NOSCRIPT` reply there could not be retried).
    public func evalCommand(keys: [String], arguments: [String]) -> [String] {
        ["EVAL", source, String(keys.count)] + keys + arguments
    }
}
