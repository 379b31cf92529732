import Redis

/// Everything the menu API answers, read in one atomic script: the version, `menu:meta`, the newest log entries and
/// every menu — with the checksum and the `GET /api/menu/version` body computed once.
///
/// Every write bumps `menu:version` together with its data, log and meta, so a snapshot is a pure function of the
/// version: readers keep the last one and reuse it while `menu:version` is unchanged.
struct MenuSnapshot: Sendable {
    let version: Int
    /// Unix seconds of the last change; 0 when nothing was ever changed.
    let timestamp: Int
    let author: String
    let description: String
    /// Newest first, at most `MenuScripts.recentChanges`.
    let changes: [MenuChange]
    /// Every menu, active or not, sorted by key.
    let menus: [Menu]
    let checksum: String
    /// The JSON body of `GET /api/menu/version`.
    let versionBody: String

    /// The ETag of `GET /api/menu/version` (the quoted checksum).
    var etag: String { "\"\(checksum)\"" }

    var activeCount: Int { menus.count(where: \.isActive) }

    init(version: Int, meta: [String: String], changes: [MenuChange], menus: [Menu]) {
        self.version = version
        timestamp = meta["timestamp"].flatMap { Int($0) } ?? 0
        author = meta["author"] ?? "system"
        description = meta["description"] ?? (version == 0 ? "no menu changes yet" : "")
        self.changes = changes
        self.menus = menus.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        checksum = CanonicalJSON.checksum(of: menus)
        // Written by hand so the fields come in the seed's order: version, timestamp, checksum, changes, author, description.
        versionBody =
            "{\"version\":\(version),\"timestamp\":\(timestamp),\"checksum\":\(CanonicalJSON.quoted(checksum)),"
            + "\"changes\":[\(changes.map(\.json).joined(separator: ","))],"
            + "\"author\":\(CanonicalJSON.quoted(author)),\"description\":\(CanonicalJSON.quoted(description))}"
    }

    /// Reads the `{version, meta pairs, log texts, [menu pairs]}` array the snapshot part of every script returns.
    init(reply: RedisValue) throws {
        guard let parts = reply.array, parts.count == 4, let version = parts[0].int, let metaPairs = parts[1].array,
            let log = parts[2].array, let hashes = parts[3].array
        else { throw RedisError.protocolError("unexpected menu snapshot reply: \(reply)") }
        var meta: [String: String] = [:]
        var index = 0
        while index + 1 < metaPairs.count {
            if let field = metaPairs[index].text { meta[field] = metaPairs[index + 1].text }
            index += 2
        }
        self.init(
            version: version,
            meta: meta,
            changes: log.compactMap { $0.text.flatMap(MenuChange.parse) },
            menus: hashes.compactMap { hash in hash.array.flatMap { Menu(hash: $0.compactMap(\.text)) } }
        )
    }
}
