import Bus
import Foundation
import Redis
import SwitchboardProtocol

/// Every edge's last status report, in the `edges:status` hash (field = edge id, value = the `EdgeStatus` JSON), for
/// `/websocket/status` on any edge.
///
/// It lives in Redis rather than in this process so that several schedulers (and a restarted one) answer alike. An
/// edge that dies without `scheduler.edges.leave` ages out: `list` skips reports older than `EdgeStatusList.freshSeconds`
/// and removes those silent for a minute (long enough that a live edge's next report cannot be lost to the removal).
struct EdgeStatusStore: Sendable {
    let redis: RedisClient

    static let key = "edges:status"
    static let removeAfterSeconds = 60.0

    func register(on rpc: RPCServer) {
        rpc.register(EdgeStatusReport.self) { status, _ in
            try await report(status)
            return NoParams()
        }
        rpc.register(EdgeStatusLeave.self) { params, _ in
            try Self.validate(params.edgeID)
            _ = try await redis.send(["HDEL", Self.key, params.edgeID])
            return NoParams()
        }
        rpc.register(EdgeStatusList.self) { _, _ in EdgeStatusList.Result(edges: try await list()) }
    }

    func report(_ status: EdgeStatus) async throws {
        try Self.validate(status.edgeID)
        var stamped = status
        stamped.updatedAt = Date().timeIntervalSince1970
        let json = String(decoding: try JSONEncoder().encode(stamped), as: UTF8.self)
        _ = try await redis.send(["HSET", Self.key, status.edgeID, json])
    }

    /// The fresh reports, sorted by edge id; long-silent or unreadable ones are removed.
    func list() async throws -> [EdgeStatus] {
        let stored = try await redis.send(["HGETALL", Self.key]).array ?? []
        let now = Date().timeIntervalSince1970
        var fresh: [EdgeStatus] = []
        var stale: [String] = []
        for index in stride(from: 0, to: stored.count - 1, by: 2) {
            guard let id = stored[index].text else { continue }
            guard let json = stored[index + 1].text, let status = try? JSONDecoder().decode(EdgeStatus.self, from: Data(json.utf8)) else {
                stale.append(id)
                continue
            }
            let age = now - status.updatedAt
            if age < EdgeStatusList.freshSeconds {
                fresh.append(status)
            } else if age > Self.removeAfterSeconds {
                stale.append(id)
            }
        }
        if !stale.isEmpty { _ = try? await redis.send(["HDEL", Self.key] + stale) }
        return fresh.sorted { $0.edgeID < $1.edgeID }
    }

    static func validate(_ edgeID: String) throws {
        guard (1...200).contains(edgeID.utf8.count), edgeID.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw RPCError.badRequest("edge id must be 1 to 200 printable ASCII characters")
        }
    }
}
