import ArgumentParser
import Bus
import Foundation
import ServiceKit
import SwitchboardProtocol

/// `switchboard user add`: creates users through the running auth service (`auth.user.add` over the bus), so the first
/// admin can exist before anyone can log in, and the password rules and hashing are auth's own.
struct User: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users (talks to the running auth service over the bus).",
        subcommands: [Add.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user with a role.",
            discussion:
                "Without --password a random password is generated and printed once. Reaches auth at SWITCHBOARD_AUTH_ENDPOINT (default ipc://<run dir>/auth.sock)."
        )

        @Argument(help: "The user name (3 to 32 of letters, digits, '_', '.', '-').")
        var name: String

        @Option(help: "admin, operator or viewer.")
        var role = "viewer"

        @Option(help: "The password (8 to 128 characters); generated when omitted.")
        var password: String?

        @Option(help: "Seconds to wait for auth to answer.")
        var timeout = 5

        func validate() throws {
            guard ["admin", "operator", "viewer"].contains(role) else {
                throw ValidationError("--role must be admin, operator or viewer (got \(role))")
            }
        }

        func run() async throws {
            let endpoint = SwitchboardConfig().endpoint(for: .auth)
            let client = try RPCClient(service: "auth", endpoint: endpoint)
            defer { client.shutdown() }
            guard await client.waitForConnection(timeout: .seconds(min(timeout, 3))) else {
                Self.fail(
                    "auth is not reachable at \(endpoint): is Switchboard running (`switchboard up`)? Set SWITCHBOARD_RUN_DIR or SWITCHBOARD_AUTH_ENDPOINT to reach another one."
                )
            }
            // A connected socket may still be mid-handshake, and a call sent then fails at once: probe with the idempotent
            // `sys.health` until it answers, so the one non-idempotent call below is sent on a ready connection.
            guard await Self.ready(client, within: .seconds(timeout)) else {
                Self.fail("auth at \(endpoint) accepted a connection but does not answer; see its log")
            }
            let chosen = password ?? AdminPassword.generate()
            let result: UserAdd.Result
            do {
                result = try await client.call(UserAdd.self, .init(username: name, password: chosen, roles: [role]), timeout: .seconds(timeout))
            } catch {
                Self.fail("cannot add user \(name): \(error.message)")
            }
            print("created user \(result.user) with role \(result.roles.joined(separator: ", "))")
            if password == nil { print("password: \(chosen)") }
        }

        private static func ready(_ client: RPCClient, within limit: Duration) async -> Bool {
            let end = ContinuousClock.now + limit
            while ContinuousClock.now < end {
                if (try? await client.call(SystemHealth.self, NoParams(), timeout: .seconds(1))) != nil { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return false
        }

        private static func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("switchboard: \(message)\n".utf8))
            Foundation.exit(1)
        }
    }
}
