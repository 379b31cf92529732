import Bus
import Logging
import SwitchboardProtocol

/// Fills the edge's `LocalPolicy` from auth (`auth.policy.snapshot`): at start, on every periodic sync, and after each
/// blocklist notice (which also applies the change at once, before the reload, so order on the bus does not matter).
struct PolicyLoader: Sendable {
    let auth: RPCClient
    let policy: LocalPolicy
    let logger: Logger

    /// Replaces the local copy; on failure the copy stays as it was (the last known blocklist keeps being enforced).
    func reload() async {
        let firstAttempt = !policy.hasAttempted
        defer { policy.markAttempted() }
        do {
            let snapshot = try await auth.call(PolicySnapshot.self, NoParams(), timeout: .seconds(2))
            let first = !policy.isLoaded
            policy.replace(with: snapshot)
            if first { logger.info("policy loaded from auth: \(snapshot.blocked.count) blocked, \(snapshot.maxConnectionsPerIP) connections per IP") }
        } catch {
            if !firstAttempt {
                logger.debug("policy snapshot from auth failed; keeping the local copy: \(error)")
            } else {
                logger.warning("no policy snapshot from auth yet (\(error.code)); the blocklist is empty until auth answers")
            }
        }
    }

    /// A `policy/blocklist` event: apply it, then re-read the whole list in the background.
    func noticeArrived(_ payload: [UInt8]) {
        if !policy.apply(payload: payload) { logger.warning("dropping a blocklist notice that does not decode (\(payload.count) bytes)") }
        Task { await reload() }
    }
}
