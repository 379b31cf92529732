import Foundation

/// Creating and authenticating users: the rules, the KDF and the store together, shared by HTTP registration, the
/// `auth.user.add` RPC and the admin bootstrap so all three validate and hash the same way.
struct Accounts: Sendable {
    let store: AccountStore
    let hasher: PasswordHasher

    enum Failure: Error, Sendable, Equatable {
        /// The input breaks a rule; the message is for the client.
        case invalid(String)
        case exists(String)
    }

    /// Validates, hashes and creates an account. Throws `Failure` for bad input or a taken name.
    func create(name: String, password: String, roles: [String]) async throws -> Account {
        if let problem = CredentialRules.problem(userName: name) { throw Failure.invalid(problem) }
        if let problem = CredentialRules.problem(password: password, userName: name) { throw Failure.invalid(problem) }
        guard let roles = Role.normalize(roles), !roles.isEmpty else {
            throw Failure.invalid("roles must be a non-empty subset of \(Role.names.joined(separator: ", "))")
        }
        // Cheap early answer for the common duplicate; the script below is what actually guarantees uniqueness.
        if try await store.find(name) != nil { throw Failure.exists(name) }
        let hash = await hasher.hash(password)
        let createdAt = Int(Date().timeIntervalSince1970)
        guard try await store.create(name: name, password: hash, roles: roles, createdAt: createdAt) else { throw Failure.exists(name) }
        return Account(name: name, roles: roles, createdAt: createdAt, password: hash)
    }

    /// The account when the password is right; nil for a wrong password and for an unknown (or malformed) name alike,
    /// after spending the same KDF time either way.
    func authenticate(name: String, password: String) async throws -> Account? {
        guard CredentialRules.problem(userName: name) == nil, password.utf8.count <= CredentialRules.passwordMaxBytes,
            let account = try await store.find(name)
        else {
            _ = await hasher.verifyDecoy(password)
            return nil
        }
        guard await hasher.verify(password, against: account.password) else { return nil }
        if account.password.iterations < hasher.iterations {
            _ = try await store.setPassword(name, await hasher.hash(password))
        }
        return account
    }
}
