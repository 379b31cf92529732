import Logging

/// Creates the first admin from `SWITCHBOARD_ADMIN_USER` / `SWITCHBOARD_ADMIN_PASSWORD` when that user does not exist.
///
/// It never overwrites: an existing user keeps its password and roles, so restarting with the variables still set (as the
/// launcher and compose do) is harmless. Redis may still be starting when auth starts, so it retries until it succeeds.
struct AdminBootstrap: Sendable {
    let accounts: Accounts
    let user: String
    let password: String
    let logger: Logger

    func run() async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                let account = try await accounts.create(name: user, password: password, roles: [Role.admin.rawValue])
                logger.notice("created admin user from SWITCHBOARD_ADMIN_USER", metadata: ["user": "\(account.name)"])
                return
            } catch Accounts.Failure.exists {
                logger.info("admin user already exists; left unchanged", metadata: ["user": "\(user)"])
                return
            } catch Accounts.Failure.invalid(let message) {
                logger.error("SWITCHBOARD_ADMIN_USER/SWITCHBOARD_ADMIN_PASSWORD rejected: \(message)")
                return
            } catch {
                logger.warning("cannot create the admin user yet: \(error); retrying in \(delay)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
