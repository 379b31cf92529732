import SwitchboardProtocol

/// The room ACL as auth decides it (`auth.room.access`): public rooms admit everyone, private ones their members and
/// admins. Asked on every join and history read, so an ACL change applies at once.
enum RoomAccessCheck {
    static func require(_ room: String, for connection: Connection, message: ClientMessage, context: EdgeContext) async throws(ProtocolFailure) {
        let decision: PolicyDecision
        do {
            decision = try await context.backends.client(.auth).call(
                RoomAccess.self, .init(room: room, principal: connection.principal), timeout: .seconds(2))
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
        guard decision.allowed else {
            throw ProtocolFailure(code: .forbidden, message: decision.message ?? "no access to room \(room)", requestID: message.id)
        }
    }
}
