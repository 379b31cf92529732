import AuthTokens
import Foundation
import TestSupport

/// Access tokens minted with the secret the test processes use (`TestSecrets.jwt`), for callers with given roles.
enum TestTokens {
    static func access(_ user: String, roles: [String] = ["viewer"], lifetime: Duration = .seconds(300)) async throws -> String {
        let authority = await TokenAuthority(secret: TestSecrets.jwt)
        return try await authority.issueAccess(user: user, roles: roles, lifetime: lifetime).token
    }

    static func json(_ text: String?) -> [String: Any] {
        guard let text, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [:] }
        return object
    }
}
