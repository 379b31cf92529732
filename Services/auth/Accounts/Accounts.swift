import Foundation

/// Creating and authenticating users: the rules, the KDF and the store together, shared by HTTP registration (both
/// APIs), the `auth.user.add` RPC and the admin bootstrap so all of them validate and hash the same way.
///
/// Every new verifier is PBKDF2 over MD5 hex of the password (`PasswordScheme.md5Hex`), so an account made from a typed
/// password also logs in where the VoltageEMS dashboard sends only the MD5 hex, and the other way round.
struct Accounts: Sendable {
    let store: AccountStore
    let hasher: PasswordHasher

    enum Failure: Error, Sendable, Equatable {
        /// The input breaks a rule; the message is for the client.
        case invalid(String)
        case exists(String)
    }

    /// Validates a typed password, hashes its MD5 hex and creates the account. Throws `Failure` for bad input or a taken name.
    func create(name: String, password: String, roles: [String]) async throws -> Account {
        if let problem = CredentialRules.problem(userName: name) { throw Failure.invalid(problem) }
        if let problem = CredentialRules.problem(password: password, userName: name) { throw Failure.invalid(problem) }
        return try await create(name: name, md5: PasswordScheme.md5Hex(password), roles: roles)
    }

    /// Creates the account from the MD5 hex of its password (what `/api/v1` receives). The typed password's rules cannot
    /// be checked on a digest; what can be is: the form, and that it is not the MD5 of the user name or of nothing.
    func create(name: String, md5 digest: String, roles: [String]) async throws -> Account {
        if let problem = CredentialRules.problem(userName: name) { throw Failure.invalid(problem) }
        guard let digest = PasswordScheme.canonicalMD5(digest) else { throw Failure.invalid(Self.md5FormProblem) }
        if digest == PasswordScheme.md5Hex(name) { throw Failure.invalid("password must not be the user name") }
        if digest == PasswordScheme.md5Hex("") { throw Failure.invalid("password must not be empty") }
        guard let roles = Role.normalize(roles), !roles.isEmpty else {
            throw Failure.invalid("roles must be a non-empty subset of \(Role.names.joined(separator: ", "))")
        }
        // Cheap early answer for the common duplicate; the script below is what actually guarantees uniqueness.
        if try await store.find(name) != nil { throw Failure.exists(name) }
        let hash = await hasher.hash(digest)
        let createdAt = Int(Date().timeIntervalSince1970)
        guard let id = try await store.create(name: name, password: hash, scheme: .md5Hex, roles: roles, createdAt: createdAt) else {
            throw Failure.exists(name)
        }
        return Account(name: name, roles: roles, createdAt: createdAt, password: hash, scheme: .md5Hex, id: id, updatedAt: createdAt)
    }

    static let md5FormProblem = "password must be the MD5 of the password as 32 hexadecimal digits (what the dashboard's login page sends)"

    /// The native route: the account when the typed password is right; nil for a wrong password and for an unknown (or
    /// malformed) name alike, after spending the same KDF time either way. An old-scheme verifier that matches is
    /// replaced by the MD5-hex one, so the account can log in on `/api/v1` from then on.
    func authenticate(name: String, password: String) async throws -> Account? {
        guard CredentialRules.problem(userName: name) == nil, password.utf8.count <= CredentialRules.passwordMaxBytes,
            let account = try await store.find(name)
        else {
            _ = await hasher.verifyDecoy(password)
            return nil
        }
        let digest = PasswordScheme.md5Hex(password)
        switch account.scheme {
        case .md5Hex:
            return try await verified(account, input: digest)
        case .plain:
            guard await hasher.verify(password, against: account.password) else { return nil }
            _ = try await store.setPassword(name, await hasher.hash(digest), scheme: .md5Hex, at: Self.now())
            return try await loggedIn(account)
        }
    }

    /// `/api/v1`: the account when `digest` is the MD5 hex of its password. An old-scheme account cannot be checked
    /// against a digest (its verifier is of the password itself) and answers like a wrong password until its user logs
    /// in once on the native route.
    func authenticate(name: String, md5 digest: String) async throws -> Account? {
        guard CredentialRules.problem(userName: name) == nil, let digest = PasswordScheme.canonicalMD5(digest),
            let account = try await store.find(name), account.scheme == .md5Hex
        else {
            _ = await hasher.verifyDecoy(digest)
            return nil
        }
        return try await verified(account, input: digest)
    }

    /// Checks `input` against the MD5-hex verifier; raises its cost when the setting went up since it was made.
    private func verified(_ account: Account, input: String) async throws -> Account? {
        guard await hasher.verify(input, against: account.password) else { return nil }
        if account.password.iterations < hasher.iterations {
            _ = try await store.setPassword(account.name, await hasher.hash(input), scheme: .md5Hex, at: Self.now())
        }
        return try await loggedIn(account)
    }

    private func loggedIn(_ account: Account) async throws -> Account {
        var account = account
        let now = Self.now()
        _ = try await store.recordLogin(account.name, at: now)
        account.lastLogin = now
        return account
    }

    static func now() -> Int { Int(Date().timeIntervalSince1970) }
}
