import Bus
import ClientFrames
import SwitchboardProtocol

/// The room ACL as auth decides it (`auth.room.access`): public rooms admit everyone, private ones their members and
/// admins. Asked on every join, history read and post, so an ACL change applies at once.
struct RoomAccessCheck: Sendable {
    let auth: RPCClient

    func require(_ room: String, for command: Command) async throws {
        let decision = try await auth.callConnected(RoomAccess.self, .init(room: room, principal: command.principal), timeout: .seconds(2))
        guard decision.allowed else {
            throw ProtocolFailure(code: .forbidden, message: decision.message ?? "no access to room \(room)", requestID: command.id)
        }
    }

    /// Whether a room ACL notice still admits this principal (admins always).
    static func admits(_ notice: RoomACLNotice, _ principal: Principal?) -> Bool {
        guard notice.isPrivate else { return true }
        guard let principal else { return false }
        return notice.members.contains(principal.user) || principal.roles.contains("admin")
    }
}

extension RPCClient {
    /// Waits up to `timeout` for the connection first: just after the scheduler starts, its socket to auth may not have
    /// finished the handshake yet, and a call would fail at once with `service_unavailable`.
    func callConnected<Method: RPCMethod>(_ method: Method.Type, _ params: Method.Params, timeout: Duration) async throws(RPCError)
        -> Method.Result
    {
        if !isConnected { _ = await waitForConnection(timeout: timeout) }
        return try await call(method, params, timeout: timeout)
    }
}
