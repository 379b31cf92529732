import Foundation
import ServiceKit
import SwitchboardProtocol
import Synchronization

/// The edge's own copy of the connection policy: the blocklist and the per-IP connection limit.
///
/// Enforcing the blocklist from a local copy means a blocked client stays blocked while auth is down or restarting, and
/// costs no round trip per request. The copy is loaded at start and re-loaded every `SWITCHBOARD_EDGE_SYNC_SECONDS`
/// (`auth.policy.snapshot`), and changed at once by the notices auth publishes on `policy/blocklist` (`PolicyNotices`).
/// The limit also follows auth's value in every count exchange (`PolicyCountsExchange`).
final class LocalPolicy: Sendable {
    private struct State {
        var blocked: [String: String] = [:]
        var maxConnectionsPerIP: Int
        var loaded = false
        /// The first load has been tried (succeeded or not).
        var attempted = false
    }

    private let state: Mutex<State>

    /// `maxConnectionsPerIP` is the limit used until the first snapshot arrives (auth's own setting wins after that).
    init(maxConnectionsPerIP: Int) {
        state = Mutex(State(maxConnectionsPerIP: max(1, maxConnectionsPerIP)))
    }

    /// The reason `ip` is blocked, or nil. Looks up its policy key (an IPv6 client's /64).
    func blockReason(for ip: String) -> String? {
        let key = IPAddress.key(ip)
        return state.withLock { $0.blocked[key] }
    }

    var maxConnectionsPerIP: Int { state.withLock { $0.maxConnectionsPerIP } }
    var isLoaded: Bool { state.withLock { $0.loaded } }
    var hasAttempted: Bool { state.withLock { $0.attempted } }
    var blockedCount: Int { state.withLock { $0.blocked.count } }

    func markAttempted() {
        state.withLock { $0.attempted = true }
    }

    /// Waits (at most `limit`) until the first load has been tried, so the first requests after a start are judged by
    /// the real blocklist rather than an empty one. Returns at once afterwards.
    func waitForFirstLoad(limit: Duration = .seconds(3)) async {
        let end = ContinuousClock.now + limit
        while !state.withLock({ $0.attempted }), ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    func replace(with snapshot: PolicySnapshot.Result) {
        state.withLock { state in
            state.blocked = snapshot.blocked
            state.maxConnectionsPerIP = max(1, snapshot.maxConnectionsPerIP)
            state.loaded = true
        }
    }

    /// Auth's per-IP limit as the count exchange reports it.
    func setMaxConnectionsPerIP(_ limit: Int) {
        state.withLock { $0.maxConnectionsPerIP = max(1, limit) }
    }

    func apply(_ notice: BlocklistNotice) {
        let key = IPAddress.key(notice.ip)
        state.withLock { state in
            if let reason = notice.reason { state.blocked[key] = reason } else { state.blocked.removeValue(forKey: key) }
        }
    }

    /// Decodes and applies a `policy/blocklist` event payload; false when it does not decode.
    func apply(payload: [UInt8]) -> Bool {
        guard let notice = try? JSONDecoder().decode(BlocklistNotice.self, from: Data(payload)) else { return false }
        apply(notice)
        return true
    }

    /// The refusal for a blocked address, as every route and the WebSocket upgrade answer it.
    func refusal(for ip: String) -> HookDecision? {
        guard let reason = blockReason(for: ip) else { return nil }
        return .reject(status: 403, code: "ip_blocked", message: "requests from \(ip) are blocked: \(reason)")
    }
}
