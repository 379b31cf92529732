import Bus
import SwitchboardProtocol

/// The policy methods the edges call (Shared/Protocol/AuthMethods.swift), wired to their Redis-backed implementations.
enum PolicyRPC {
    static func register(on server: RPCServer, auth: AuthComponents) {
        server.register(PolicyAdmit.self) { params, _ in
            try await StorageFailure.rpc { try await auth.connections.admit(params) }
        }
        server.register(PolicyRelease.self) { params, _ in
            try await StorageFailure.rpc { try await auth.connections.release(params) }
            return NoParams()
        }
        server.register(PolicyEdgeSync.self) { params, _ in
            try await StorageFailure.rpc { try await auth.connections.sync(params) }
            return NoParams()
        }
        server.register(PolicyCountsExchange.self) { params, _ in
            try await StorageFailure.rpc { try await auth.connections.exchange(params) }
        }
        server.register(RateSync.self) { params, _ in
            try await StorageFailure.rpc { try await auth.rates.sync(params) }
        }
        server.register(PolicySnapshot.self) { _, _ in
            try await StorageFailure.rpc {
                PolicySnapshot.Result(blocked: try await auth.blocklist.reasons(), maxConnectionsPerIP: auth.settings.maxConnectionsPerIP)
            }
        }
        server.register(RateCheck.self) { params, _ in
            try await StorageFailure.rpc { try await auth.rates.check(subject: params.subject, kind: params.kind) }
        }
        server.register(RoomAccess.self) { params, _ in
            try await StorageFailure.rpc { try await auth.rooms.access(room: params.room, principal: params.principal) }
        }
    }
}
