import Foundation
import Redis

/// Blocked client addresses: `policy:blocked` hash ip → reason (what admission reads), and `policy:blocked:at` hash
/// ip → Unix seconds (for the admin listing).
///
/// Entries are policy keys (`IPAddress.policyKey`: the canonical IPv4 address, or an IPv6 address's /64), so a block
/// cannot be dodged by respelling an IPv6 address or by moving to another address of the same /64.
struct Blocklist: Sendable {
    let redis: RedisClient

    static let reasonsKey = "policy:blocked"
    static let timesKey = "policy:blocked:at"
    static let maxReasonLength = 200

    struct Entry: Codable, Sendable, Equatable {
        let ip: String
        let reason: String
        let blockedAt: Int

        enum CodingKeys: String, CodingKey {
            case ip, reason
            case blockedAt = "blocked_at"
        }
    }

    /// Policy key → reason, what the edges keep a copy of.
    func reasons() async throws -> [String: String] {
        Self.pairs(try await redis.send(["HGETALL", Self.reasonsKey]))
    }

    func list() async throws -> [Entry] {
        let replies = try await redis.pipeline([["HGETALL", Self.reasonsKey], ["HGETALL", Self.timesKey]])
        let reasons = Self.pairs(replies.first)
        let times = Self.pairs(replies.last)
        return reasons.map { ip, reason in Entry(ip: ip, reason: reason, blockedAt: times[ip].flatMap { Int($0) } ?? 0) }
            .sorted { $0.ip < $1.ip }
    }

    /// Blocks (or re-blocks with a new reason) a policy key.
    func block(ip: String, reason: String) async throws -> Entry {
        let now = Int(Date().timeIntervalSince1970)
        let replies = try await redis.pipeline([
            ["MULTI"], ["HSET", Self.reasonsKey, ip, reason], ["HSET", Self.timesKey, ip, String(now)], ["EXEC"],
        ])
        if let failure = replies.first(where: { if case .error = $0 { true } else { false } }) {
            throw RedisError.server("\(failure)")
        }
        return Entry(ip: ip, reason: reason, blockedAt: now)
    }

    /// Lifts a block; false when the address was not blocked.
    func unblock(ip: String) async throws -> Bool {
        let replies = try await redis.pipeline([["MULTI"], ["HDEL", Self.reasonsKey, ip], ["HDEL", Self.timesKey, ip], ["EXEC"]])
        return replies.last?.array?.first?.int == 1
    }

    private static func pairs(_ value: RedisValue?) -> [String: String] {
        let fields = value?.array ?? []
        var result: [String: String] = [:]
        for index in stride(from: 0, to: fields.count - 1, by: 2) {
            if let key = fields[index].text, let value = fields[index + 1].text { result[key] = value }
        }
        return result
    }
}
