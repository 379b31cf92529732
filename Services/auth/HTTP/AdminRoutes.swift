import Foundation
import Logging
import ServiceKit
import SwitchboardProtocol

/// Admin-only HTTP: user roles, room ACLs and the IP blocklist. Anonymous callers get 401, others without `admin` 403.
struct AdminRoutes: Sendable {
    let auth: AuthComponents
    let logger: Logger

    struct RolesBody: Decodable, Sendable {
        let roles: [String]
    }

    struct RoomACLBody: Decodable, Sendable {
        let isPrivate: Bool
        let members: [String]?

        enum CodingKeys: String, CodingKey {
            case isPrivate = "private"
            case members
        }
    }

    struct BlockBody: Decodable, Sendable {
        let ip: String
        let reason: String?
    }

    struct BlockList: Encodable, Sendable {
        let blocked: [Blocklist.Entry]
    }

    func register(into routes: inout HTTPRoutes.Builder) {
        routes.on("PUT", "/api/auth/users/{name}/roles") { call in try await StorageFailure.http { try await setRoles(call) } }
        routes.on("GET", "/api/auth/rooms/{room}/acl") { call in try await StorageFailure.http { try await roomACL(call) } }
        routes.on("PUT", "/api/auth/rooms/{room}/acl") { call in try await StorageFailure.http { try await setRoomACL(call) } }
        routes.on("GET", "/admin/blocked-ips") { call in try await StorageFailure.http { try await blocked(call) } }
        routes.on("POST", "/admin/blocked-ips") { call in try await StorageFailure.http { try await block(call) } }
        routes.on("DELETE", "/admin/blocked-ips/{ip}") { call in try await StorageFailure.http { try await unblock(call) } }
    }

    /// Replaces a user's roles; they apply to that user's next login or refresh (access tokens live at most their TTL).
    func setRoles(_ call: HTTPCall) async throws -> ForwardedResponse {
        let admin = try call.require(role: Role.admin.rawValue)
        let name = call.parameters["name"] ?? ""
        let body = try call.decodeBounded(RolesBody.self)
        guard let roles = Role.normalize(body.roles), !roles.isEmpty else {
            throw HTTPError(400, "invalid_input", "roles must be a non-empty subset of \(Role.names.joined(separator: ", "))")
        }
        guard try await auth.accounts.store.setRoles(name, roles: roles, at: Accounts.now()), let account = try await auth.accounts.store.find(name)
        else {
            throw HTTPError(404, "user_not_found", "no user \(name)")
        }
        logger.info("roles changed", metadata: ["user": "\(name)", "roles": "\(roles)", "by": "\(admin.user)"])
        return .json(UserView(account))
    }

    func roomACL(_ call: HTTPCall) async throws -> ForwardedResponse {
        _ = try call.require(role: Role.admin.rawValue)
        return .json(try await auth.rooms.get(try room(call)))
    }

    func setRoomACL(_ call: HTTPCall) async throws -> ForwardedResponse {
        _ = try call.require(role: Role.admin.rawValue)
        let room = try room(call)
        let body = try call.decodeBounded(RoomACLBody.self)
        let members = body.members ?? []
        guard members.count <= RoomACLStore.maxMembers else {
            throw HTTPError(400, "invalid_input", "at most \(RoomACLStore.maxMembers) members")
        }
        if let bad = members.first(where: { CredentialRules.problem(userName: $0) != nil }) {
            throw HTTPError(400, "invalid_input", "member \(bad.prefix(40)) is not a valid user name")
        }
        let acl = try await auth.rooms.put(room, isPrivate: body.isPrivate, members: members)
        auth.notifier.roomACLChanged(RoomACLNotice(room: room, isPrivate: acl.isPrivate, members: acl.members))
        return .json(acl)
    }

    func blocked(_ call: HTTPCall) async throws -> ForwardedResponse {
        _ = try call.require(role: Role.admin.rawValue)
        return .json(BlockList(blocked: try await auth.blocklist.list()))
    }

    func block(_ call: HTTPCall) async throws -> ForwardedResponse {
        let admin = try call.require(role: Role.admin.rawValue)
        let body = try call.decodeBounded(BlockBody.self)
        guard let ip = IPAddress(body.ip)?.policyKey else {
            throw HTTPError(400, "invalid_input", "ip must be an IPv4 or IPv6 address (an IPv6 address blocks its /64)")
        }
        let reason = (body.reason ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard reason.count <= Blocklist.maxReasonLength else {
            throw HTTPError(400, "invalid_input", "reason must be at most \(Blocklist.maxReasonLength) characters")
        }
        let entry = try await auth.blocklist.block(ip: ip, reason: reason.isEmpty ? "blocked by \(admin.user)" : reason)
        logger.notice("ip blocked", metadata: ["ip": "\(ip)", "reason": "\(entry.reason)", "by": "\(admin.user)"])
        auth.notifier.blocklistChanged(BlocklistNotice(ip: ip, reason: entry.reason))
        return .json(entry, status: 201)
    }

    func unblock(_ call: HTTPCall) async throws -> ForwardedResponse {
        let admin = try call.require(role: Role.admin.rawValue)
        guard let ip = IPAddress(call.parameters["ip"] ?? "")?.policyKey else {
            throw HTTPError(400, "invalid_input", "ip must be an IPv4 or IPv6 address")
        }
        guard try await auth.blocklist.unblock(ip: ip) else { throw HTTPError(404, "not_blocked", "\(ip) is not blocked") }
        logger.notice("ip unblocked", metadata: ["ip": "\(ip)", "by": "\(admin.user)"])
        auth.notifier.blocklistChanged(BlocklistNotice(ip: ip, reason: nil))
        return ForwardedResponse(status: 204, body: "")
    }

    private func room(_ call: HTTPCall) throws(HTTPError) -> String {
        let room = call.parameters["room"] ?? ""
        if let problem = RoomACLStore.problem(room: room) { throw HTTPError(400, "invalid_input", problem) }
        return room
    }
}
