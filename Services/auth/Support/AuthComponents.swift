import AuthTokens
import Bus
import Logging
import Redis
import ServiceKit

/// Everything the auth service's handlers share, built once in `main.swift` from the settings and the host's Redis.
struct AuthComponents: Sendable {
    let settings: AuthSettings
    let accounts: Accounts
    let sessions: SessionIssuer
    let connections: ConnectionPolicy
    let blocklist: Blocklist
    let rates: RateLimiter
    let rooms: RoomACLStore
    let notifier: PolicyNotifier

    init(settings: AuthSettings, redis: RedisClient, authority: TokenAuthority, notices: IngestPusher, logger: Logger) {
        self.settings = settings
        notifier = PolicyNotifier(pusher: notices, logger: logger)
        accounts = Accounts(store: AccountStore(redis: redis), hasher: PasswordHasher(iterations: settings.pbkdf2Iterations))
        sessions = SessionIssuer(
            authority: authority, refreshTokens: RefreshTokenStore(redis: redis, ttlSeconds: settings.refreshTTLSeconds),
            accessTTLSeconds: settings.accessTTLSeconds)
        connections = ConnectionPolicy(redis: redis, maxPerIP: settings.maxConnectionsPerIP, defaultLeaseSeconds: settings.connectionLeaseSeconds)
        blocklist = Blocklist(redis: redis)
        var buckets = [
            "message": RateLimiter.Bucket(perSecond: settings.messageRatePerSecond, burst: settings.messageBurst),
            "question": RateLimiter.Bucket.perMinute(settings.questionRatePerMinute),
        ]
        if settings.loginRatePerMinute > 0 {
            buckets[RateLimiter.loginKind] = RateLimiter.Bucket.perMinute(settings.loginRatePerMinute)
        }
        if settings.registerRatePerMinute > 0 {
            buckets[RateLimiter.registerKind] = RateLimiter.Bucket.perMinute(settings.registerRatePerMinute)
        }
        rates = RateLimiter(redis: redis, buckets: buckets)
        rooms = RoomACLStore(redis: redis, anonymousMayJoinPublicRooms: settings.anonymous.rooms)
    }
}
