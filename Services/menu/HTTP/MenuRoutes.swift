import Logging
import ServiceKit
import SwitchboardProtocol

/// The menu API the edge forwards (DESIGN.md §4): the public version endpoint, the caller's menu tree, and the admin
/// writes, each of which publishes, once it is committed, a `menu_update` {version, checksum} to every connection (topic
/// `all`) and a `menu_change` with the change itself to admins' connections (topic `role/admin`).
struct MenuRoutes: Sendable {
    let snapshots: MenuSnapshots
    let store: MenuStore
    let permissions: PermissionStore
    let publisher: ChangePublisher
    let logger: Logger

    func register(into routes: inout HTTPRoutes.Builder) {
        routes.on("GET", "/api/menu/version") { call in try await StorageFailure.http { try await version(call) } }
        routes.on("GET", "/api/menu") { call in try await StorageFailure.http { try await tree(call) } }
        routes.on("PUT", "/api/menu/{key}") { call in try await StorageFailure.http { try await put(call) } }
        routes.on("DELETE", "/api/menu/{key}") { call in try await StorageFailure.http { try await delete(call) } }
    }

    /// Public. `ETag` is the quoted checksum; a matching `If-None-Match` answers 304 with an empty body.
    func version(_ call: HTTPCall) async throws -> ForwardedResponse {
        let snapshot = try await snapshots.current()
        let headers = ["etag": snapshot.etag, "cache-control": "no-cache"]
        if EntityTag.matches(ifNoneMatch: call.request.headers["if-none-match"], etag: snapshot.etag) {
            return ForwardedResponse(status: 304, headers: headers, body: "")
        }
        return ForwardedResponse(
            status: 200, headers: headers.merging(["content-type": "application/json; charset=utf-8"]) { $1 }, body: snapshot.versionBody)
    }

    private struct TreeAnswer: Encodable {
        let version: Int
        let checksum: String
        let menus: [MenuView]
    }

    /// The caller's visible menus as a tree; `?all=true` (admins only) includes inactive and restricted ones.
    func tree(_ call: HTTPCall) async throws -> ForwardedResponse {
        let includeHidden = ["1", "true"].contains(call.request.query["all"] ?? "")
        if includeHidden { _ = try call.require(role: "admin") }
        async let grants = permissions.grants(for: call.principal)
        let snapshot = try await snapshots.current()
        let menus = MenuTree.build(snapshot.menus, grants: try await grants.grants, includeHidden: includeHidden)
        return .json(TreeAnswer(version: snapshot.version, checksum: snapshot.checksum, menus: menus))
    }

    /// `{menu, version, checksum, change}`; `change` is `null` (not missing) when the write changed nothing, and a delete
    /// has no `menu`.
    private struct WriteAnswer: Encodable {
        let menu: MenuView?
        let version: Int
        let checksum: String
        let change: MenuChange?

        enum CodingKeys: String, CodingKey {
            case menu, version, checksum, change
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(menu, forKey: .menu)
            try container.encode(version, forKey: .version)
            try container.encode(checksum, forKey: .checksum)
            try container.encode(change, forKey: .change)
        }
    }

    /// Admin. Creates (201) or replaces (200) the menu; equal content answers 200 with `change: null` and changes nothing.
    func put(_ call: HTTPCall) async throws -> ForwardedResponse {
        let admin = try call.require(role: "admin")
        let key = call.parameters["key"] ?? ""
        let (menu, reason) = try call.decodeBody(MenuInput.self).validated(key: key)
        switch try await store.put(menu, author: admin.user, reason: reason) {
        case .done(let change, let snapshot):
            if let change { announce(change, snapshot) }
            let stored = snapshot.menus.first { $0.key == key } ?? menu
            let answer = WriteAnswer(menu: MenuView(stored), version: snapshot.version, checksum: snapshot.checksum, change: change)
            return .json(answer, status: change?.type == .created ? 201 : 200)
        case .parentMissing(let parent):
            throw HTTPError(400, "invalid_parent", "parent \(parent) is not a menu")
        case .parentCycle(let parent):
            throw HTTPError(409, "parent_cycle", "making \(parent) the parent of \(key) would create a cycle")
        case .notFound, .hasChildren:
            throw HTTPError(500, "internal", "unexpected outcome of a menu write")
        }
    }

    private struct DeleteBody: Decodable {
        let reason: String?
    }

    /// Admin. 404 for an unknown key, 409 (naming them) while other menus have it as parent. The reason comes from
    /// `?reason=` or an optional JSON body `{"reason": …}`.
    func delete(_ call: HTTPCall) async throws -> ForwardedResponse {
        let admin = try call.require(role: "admin")
        let key = call.parameters["key"] ?? ""
        var reason = call.request.query["reason"]
        if let body = call.request.body, !body.isEmpty { reason = try call.decodeBody(DeleteBody.self).reason ?? reason }
        if let given = reason, given.count > MenuInput.maxReason {
            throw MenuInput.invalid("reason must be at most \(MenuInput.maxReason) characters")
        }
        guard Menu.isValidKey(key) else { throw HTTPError(404, "not_found", "no menu \(key)") }
        reason = reason.flatMap(\.nonEmpty)
        switch try await store.delete(key, author: admin.user, reason: reason) {
        case .done(let change, let snapshot):
            if let change { announce(change, snapshot) }
            return .json(WriteAnswer(menu: nil, version: snapshot.version, checksum: snapshot.checksum, change: change))
        case .notFound:
            throw HTTPError(404, "not_found", "no menu \(key)")
        case .hasChildren(let children):
            throw HTTPError(409, "has_children", "menu \(key) still has children: \(children.joined(separator: ", ")); delete or move them first")
        case .parentMissing, .parentCycle:
            throw HTTPError(500, "internal", "unexpected outcome of a menu delete")
        }
    }

    private func announce(_ change: MenuChange, _ snapshot: MenuSnapshot) {
        logger.info(
            "menu \(change.type.rawValue)",
            metadata: ["menu": "\(change.targetId)", "by": "\(change.author)", "version": "\(snapshot.version)"])
        publisher.publish(topic: "all", frame: ChangeFrames.menuUpdate(.init(version: snapshot.version, checksum: snapshot.checksum)))
        publisher.publish(
            topic: ChangeFrames.detailTopic,
            frame: ChangeFrames.menuChange(.init(version: snapshot.version, checksum: snapshot.checksum, change: change)))
    }
}
