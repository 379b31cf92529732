import Synchronization

/// The menu facts `sys.health` reports (`menus`, `active_menus`, `version`, `checksum`), so `/health` and
/// `switchboard status` show what the service serves.
///
/// The host's health closure is given before the host (and so its Redis) exists; the snapshots are attached right after.
final class MenuHealth: Sendable {
    private let snapshots = Mutex<MenuSnapshots?>(nil)

    func attach(_ source: MenuSnapshots) {
        snapshots.withLock { $0 = source }
    }

    func details() async -> [String: String] {
        guard let source = snapshots.withLock({ $0 }) else { return [:] }
        do {
            let snapshot = try await source.current()
            return [
                "menus": String(snapshot.menus.count),
                "active_menus": String(snapshot.activeCount),
                "version": String(snapshot.version),
                "checksum": snapshot.checksum,
            ]
        } catch {
            return ["storage": "unavailable"]
        }
    }
}
