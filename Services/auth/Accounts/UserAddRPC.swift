import Bus
import SwitchboardProtocol

/// `auth.user.add` for `switchboard user add`: the same validation and hashing as registration, any roles.
enum UserAddRPC {
    static func register(on server: RPCServer, accounts: Accounts) {
        server.register(UserAdd.self) { params, context in
            try await StorageFailure.rpc {
                do {
                    let account = try await accounts.create(name: params.username, password: params.password, roles: params.roles)
                    context.logger.notice("user added over the bus", metadata: ["user": "\(account.name)", "roles": "\(account.roles)"])
                    return UserAdd.Result(user: account.name, roles: account.roles, createdAt: account.createdAt)
                } catch Accounts.Failure.invalid(let message) {
                    throw RPCError(code: UserAdd.invalidInputCode, message: message)
                } catch Accounts.Failure.exists(let name) {
                    throw RPCError(code: UserAdd.userExistsCode, message: "user \(name) already exists")
                }
            }
        }
    }
}
