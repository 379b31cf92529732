import Redis

/// Menu writes: each one script that changes the data, `menu:version`, `menu:log` and `menu:meta` together and returns
/// the snapshot after it (DESIGN.md §5).
///
/// Deleting a menu that still has children is refused (409) rather than re-parenting them: moving children silently
/// would change what users see in ways the admin did not ask for. Delete or move the children first.
struct MenuStore: Sendable {
    let snapshots: MenuSnapshots
    /// How many entries `menu:log` keeps (LPUSH + LTRIM).
    let logCap: Int

    var redis: RedisClient { snapshots.redis }

    enum Outcome: Sendable {
        /// The write happened (or changed nothing, `change` nil) and this is the state after it.
        case done(change: MenuChange?, snapshot: MenuSnapshot)
        case notFound
        case parentMissing(String)
        case parentCycle(String)
        case hasChildren([String])
    }

    private var prefixArguments: [String] {
        [Menu.redisKeyPrefix, String(MenuScripts.recentChanges), String(logCap)]
    }

    /// Creates or replaces `menu` (content equal to the stored one changes nothing).
    func put(_ menu: Menu, author: String, reason: String?) async throws -> Outcome {
        let now = UnixTime.now
        let created = MenuChange(type: .created, targetId: menu.key, targetName: menu.name, timestamp: now, author: author, reason: reason)
        let updated = MenuChange(type: .updated, targetId: menu.key, targetName: menu.name, timestamp: now, author: author, reason: reason)
        let content = menu.contentFields
        var arguments = prefixArguments + [menu.key]
        // name, icon, url, sort_order, is_active, parent, required_permission: the values of the content pairs after key.
        arguments += stride(from: 3, to: content.count, by: 2).map { content[$0] }
        arguments += [String(now), author, created.json, updated.json, created.reason, updated.reason]
        let reply = try await MenuScripts.upsert.runDurable(redis, keys: MenuScripts.keys, arguments: arguments)
        guard let parts = reply.array, parts.count == 2, let code = parts[0].int, let status = MenuScripts.Status(rawValue: code) else {
            throw RedisError.protocolError("unexpected menu upsert reply: \(reply)")
        }
        switch status {
        case .parentMissing: return .parentMissing(parts[1].text ?? "")
        case .parentCycle: return .parentCycle(parts[1].text ?? "")
        case .created, .updated, .unchanged:
            let snapshot = try MenuSnapshot(reply: parts[1])
            snapshots.adopt(snapshot)
            let change: MenuChange? =
                switch status {
                case .created: created
                case .updated: updated
                default: nil
                }
            return .done(change: change, snapshot: snapshot)
        default:
            throw RedisError.protocolError("unexpected menu upsert status \(code)")
        }
    }

    /// Deletes the menu `key`; refused while other menus name it as their parent.
    func delete(_ key: String, author: String, reason: String?) async throws -> Outcome {
        let now = UnixTime.now
        var change = MenuChange(type: .deleted, targetId: key, targetName: key, timestamp: now, author: author, reason: reason)
        let around = change.jsonAroundTargetName
        let arguments = prefixArguments + [key, String(now), author, around.before, around.after, change.reason]
        let reply = try await MenuScripts.delete.runDurable(redis, keys: MenuScripts.keys, arguments: arguments)
        guard let parts = reply.array, let code = parts.first?.int, let status = MenuScripts.Status(rawValue: code) else {
            throw RedisError.protocolError("unexpected menu delete reply: \(reply)")
        }
        switch status {
        case .missing: return .notFound
        case .hasChildren where parts.count == 2: return .hasChildren((parts[1].array ?? []).compactMap(\.text).sorted())
        case .deleted where parts.count == 3:
            let snapshot = try MenuSnapshot(reply: parts[1])
            snapshots.adopt(snapshot)
            change.targetName = parts[2].text ?? key
            return .done(change: change, snapshot: snapshot)
        default:
            throw RedisError.protocolError("unexpected menu delete reply: \(reply)")
        }
    }
}
