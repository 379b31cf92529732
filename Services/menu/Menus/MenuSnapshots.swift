import Redis
import Synchronization

/// The latest `MenuSnapshot`, kept in memory and revalidated with one `GET menu:version` per read.
///
/// `GET /api/menu/version` is what every client polls, so its steady state costs one tiny Redis round trip (which also
/// keeps "Redis down → 503" true) and no JSON work; the full snapshot is read again only after the version moved.
/// Writes hand their own post-write snapshot in, so the next read after a change usually finds it already here.
final class MenuSnapshots: Sendable {
    let redis: RedisClient
    private let latest = Mutex<MenuSnapshot?>(nil)

    init(redis: RedisClient) {
        self.redis = redis
    }

    /// The snapshot of the current `menu:version`.
    func current() async throws -> MenuSnapshot {
        let version = try await redis.send("GET", MenuScripts.keys[2]).int ?? 0
        if let cached = latest.withLock({ $0 }), cached.version == version { return cached }
        let reply = try await MenuScripts.snapshot.run(
            redis, keys: MenuScripts.keys, arguments: [Menu.redisKeyPrefix, String(MenuScripts.recentChanges)])
        let fresh = try MenuSnapshot(reply: reply)
        // What Redis just said wins, even over a higher cached version (Redis was flushed or restored).
        latest.withLock { $0 = fresh }
        return fresh
    }

    /// Keeps a write's post-write `snapshot` unless a newer one is already held.
    func adopt(_ snapshot: MenuSnapshot) {
        latest.withLock { held in
            if (held?.version ?? -1) <= snapshot.version { held = snapshot }
        }
    }
}
