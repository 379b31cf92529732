import Foundation
import OpenSSLCrypto
import Redis

/// Refresh tokens: opaque random strings, stored only as their SHA-256 so a Redis dump holds nothing a client can present.
///
/// Keys: `refresh:{sha256 hex}` hash (`user`, `family`, `used` "0"/"1") with the refresh TTL, and `family:{id}` set of the
/// token hashes of one login session. Each refresh marks the presented token used and issues the next one in the same
/// family; presenting a used token again means two parties hold the session (one of them stole it), so the whole family
/// is deleted. Every step is one Lua script: two concurrent refreshes of one token cannot both rotate it.
///
/// The scripts build `refresh:`/`family:` keys from stored values, which assumes one Redis (not Redis Cluster), as
/// DESIGN.md §1 deploys it.
struct RefreshTokenStore: Sendable {
    let redis: RedisClient
    let ttlSeconds: Int

    /// 32 random bytes, base64url without padding: 43 characters.
    static let tokenBytes = 32
    /// Anything longer than this is not one of ours and is refused before hashing.
    static let maxTokenLength = 128

    enum Rotation: Sendable, Equatable {
        case rotated(user: String, token: String)
        /// A used token came back: its family is revoked.
        case reused(user: String)
        /// Unknown, expired, logged out or revoked.
        case invalid
    }

    private static let issue = RedisScript(
        """
        redis.call('HSET', KEYS[1], 'user', ARGV[1], 'family', ARGV[2], 'used', '0')
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        redis.call('SADD', KEYS[2], ARGV[4])
        redis.call('EXPIRE', KEYS[2], ARGV[3])
        return 1
        """)

    private static let rotate = RedisScript(
        """
        local t = redis.call('HMGET', KEYS[1], 'user', 'family', 'used')
        if not t[1] or not t[2] then return {'invalid'} end
        local family = 'family:' .. t[2]
        if t[3] == '1' then
          for _, h in ipairs(redis.call('SMEMBERS', family)) do redis.call('DEL', 'refresh:' .. h) end
          redis.call('DEL', family, KEYS[1])
          return {'reused', t[1]}
        end
        if redis.call('EXISTS', family) == 0 then return {'invalid'} end
        redis.call('HSET', KEYS[1], 'used', '1')
        local next = 'refresh:' .. ARGV[1]
        redis.call('HSET', next, 'user', t[1], 'family', t[2], 'used', '0')
        redis.call('EXPIRE', next, ARGV[2])
        redis.call('SADD', family, ARGV[1])
        redis.call('EXPIRE', family, ARGV[2])
        return {'rotated', t[1]}
        """)

    private static let revoke = RedisScript(
        """
        local f = redis.call('HGET', KEYS[1], 'family')
        if not f then return 0 end
        local family = 'family:' .. f
        for _, h in ipairs(redis.call('SMEMBERS', family)) do redis.call('DEL', 'refresh:' .. h) end
        redis.call('DEL', family, KEYS[1])
        return 1
        """)

    static func key(forDigest digest: String) -> String { "refresh:\(digest)" }

    static func digest(_ token: String) -> String {
        Hex.encode(Digest.sha256(Array(token.utf8)))
    }

    static func generate() -> String {
        Data(SecureRandom.bytes(tokenBytes)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Starts a new family (a login) and returns its first token.
    func issue(user: String) async throws -> String {
        let token = Self.generate()
        let digest = Self.digest(token)
        let family = Hex.encode(SecureRandom.bytes(16))
        _ = try await Self.issue.runDurable(
            redis, keys: [Self.key(forDigest: digest), "family:\(family)"], arguments: [user, family, String(ttlSeconds), digest])
        return token
    }

    /// Spends `token` and returns its successor, or says why not.
    func rotate(_ token: String) async throws -> Rotation {
        guard !token.isEmpty, token.count <= Self.maxTokenLength else { return .invalid }
        let next = Self.generate()
        let reply = try await Self.rotate.runDurable(
            redis, keys: [Self.key(forDigest: Self.digest(token))], arguments: [Self.digest(next), String(ttlSeconds)])
        let parts = reply.array?.compactMap(\.text) ?? []
        switch (parts.first, parts.count) {
        case ("rotated", 2): return .rotated(user: parts[1], token: next)
        case ("reused", 2): return .reused(user: parts[1])
        default: return .invalid
        }
    }

    /// Revokes the family of `token` (logout); false when it was not live.
    func revoke(_ token: String) async throws -> Bool {
        guard !token.isEmpty, token.count <= Self.maxTokenLength else { return false }
        return try await Self.revoke.runDurable(redis, keys: [Self.key(forDigest: Self.digest(token))], arguments: []).int == 1
    }
}
