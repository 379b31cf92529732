import Foundation
import Synchronization

/// Access tokens that verified, by their exact text, with who they name and until when, so an upgrade or request that
/// presents a token already seen costs a dictionary look-up instead of an HMAC and a JSON decode.
///
/// Keyed by the whole token: the HMAC signature covers header and claims, so equal text is the same verified token,
/// and no substring is cut per look-up. An entry is served only before its `exp` (never an expired one), so caching
/// does not lengthen a token's life. Only successful verifications are stored; a token that fails is verified again
/// (and fails again) every time. Bounded: when full, expired entries go first, then arbitrary ones.
public final class VerifiedTokenCache: Sendable {
    private let entries = Mutex<[String: TokenAuthority.Verified]>([:])
    public let capacity: Int
    /// Tokens longer than this are not cached (they are verified every time).
    public static let maxTokenLength = 4096

    public init(capacity: Int = 10_000) {
        self.capacity = max(1, capacity)
    }

    /// The cached verification of `token`, if it is cached and not expired at `now`.
    public func lookup(_ token: String, now: Date = Date()) -> TokenAuthority.Verified? {
        entries.withLock { entries in
            guard let verified = entries[token] else { return nil }
            guard verified.expiresAt > now else {
                entries.removeValue(forKey: token)
                return nil
            }
            return verified
        }
    }

    public func store(_ token: String, _ verified: TokenAuthority.Verified, now: Date = Date()) {
        guard verified.expiresAt > now, token.utf8.count <= Self.maxTokenLength else { return }
        let capacity = self.capacity
        entries.withLock { entries in
            if entries[token] == nil, entries.count >= capacity {
                entries = entries.filter { $0.value.expiresAt > now }
                // Still full of live tokens: drop an eighth, arbitrary ones (a dictionary's order carries no meaning).
                if entries.count >= capacity {
                    for _ in 0..<max(1, capacity / 8) where !entries.isEmpty { entries.remove(at: entries.startIndex) }
                }
            }
            entries[token] = verified
        }
    }

    public var count: Int { entries.withLock { $0.count } }
}

extension TokenAuthority {
    /// `verifyAccess` through `cache`: a cached, unexpired token is answered from it; anything else is verified and,
    /// when it verifies, cached.
    public func verifyAccess(_ token: String, cache: VerifiedTokenCache) async throws(Rejection) -> Verified {
        if let known = cache.lookup(token) { return known }
        let verified = try await verifyAccess(token)
        cache.store(token, verified)
        return verified
    }
}
