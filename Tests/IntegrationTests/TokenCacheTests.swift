import AuthTokens
import Foundation
import TestSupport
import Testing

/// The edge's cache of verified access tokens: served only before `exp`, never for a token that failed, bounded.
@Suite struct TokenCacheTests {
    @Test func aVerifiedTokenIsServedFromTheCacheUntilItExpires() async throws {
        let authority = await TokenAuthority(secret: TestSecrets.jwt)
        let cache = VerifiedTokenCache(capacity: 100)
        let issued = try await authority.issueAccess(user: "kim", roles: ["viewer"], lifetime: .seconds(60))
        let first = try await authority.verifyAccess(issued.token, cache: cache)
        #expect(first.principal.user == "kim")
        #expect(cache.count == 1)
        #expect(cache.lookup(issued.token) == first)
        #expect(try await authority.verifyAccess(issued.token, cache: cache) == first)
        // Past its `exp` the entry is not served (and is dropped), whatever the cache holds.
        #expect(cache.lookup(issued.token, now: first.expiresAt.addingTimeInterval(1)) == nil)
        #expect(cache.count == 0)
    }

    @Test func anExpiredTokenIsRefusedEvenAfterItWasCached() async throws {
        let authority = await TokenAuthority(secret: TestSecrets.jwt)
        let cache = VerifiedTokenCache()
        let issued = try await authority.issueAccess(user: "lou", roles: ["viewer"], lifetime: .seconds(1))
        _ = try await authority.verifyAccess(issued.token, cache: cache)
        #expect(cache.count == 1)
        try await Task.sleep(for: .milliseconds(2100))
        await #expect(throws: TokenAuthority.Rejection.self) { try await authority.verifyAccess(issued.token, cache: cache) }
        #expect(cache.count == 0)
    }

    @Test func aTokenThatFailsIsNeverCached() async throws {
        let authority = await TokenAuthority(secret: TestSecrets.jwt)
        let other = await TokenAuthority(secret: String(repeating: "x", count: 40))
        let cache = VerifiedTokenCache()
        let forged = try await other.issueAccess(user: "mallory", roles: ["admin"], lifetime: .seconds(60)).token
        for _ in 0..<2 {
            await #expect(throws: TokenAuthority.Rejection.self) { try await authority.verifyAccess(forged, cache: cache) }
        }
        // A genuine token with one signature character changed.
        let genuine = try await authority.issueAccess(user: "nia", roles: ["viewer"], lifetime: .seconds(60)).token
        var tampered = Array(genuine)
        tampered[tampered.count - 2] = tampered[tampered.count - 2] == "A" ? "B" : "A"
        await #expect(throws: TokenAuthority.Rejection.self) { try await authority.verifyAccess(String(tampered), cache: cache) }
        #expect(cache.count == 0)
    }

    @Test func theCacheStaysWithinItsCapacity() async throws {
        let authority = await TokenAuthority(secret: TestSecrets.jwt)
        let cache = VerifiedTokenCache(capacity: 16)
        var tokens: [String] = []
        for index in 0..<50 {
            let token = try await authority.issueAccess(user: "u\(index)", roles: ["viewer"], lifetime: .seconds(60)).token
            _ = try await authority.verifyAccess(token, cache: cache)
            tokens.append(token)
            #expect(cache.count <= 16)
        }
        // The newest is always there; evicted ones still verify (just not from the cache).
        #expect(cache.lookup(tokens[49]) != nil)
        #expect(try await authority.verifyAccess(tokens[0], cache: cache).principal.user == "u0")
    }
}
