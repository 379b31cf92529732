import Synchronization

/// Connections admitted but not yet in the registry, by policy key.
///
/// Admission runs before the 101 and the registry learns of the connection only when its session starts: a count taken
/// in between (the local per-IP fallback while auth is down) would miss it, and a fast client could open one more than
/// the limit. A reservation that never becomes a connection (a later hook refused it, the upgrade failed) expires.
final class AdmissionReservations: Sendable {
    private let lifetime: Duration
    private let pending = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(lifetime: Duration = .seconds(10)) {
        self.lifetime = lifetime
    }

    func reserve(_ key: String) {
        let expiry = ContinuousClock.now + lifetime
        pending.withLock { $0[key, default: []].append(expiry) }
    }

    /// The connection for `key` arrived: its reservation (the oldest) is used up.
    func fulfil(_ key: String) {
        pending.withLock { pending in
            guard var entries = pending[key], !entries.isEmpty else { return }
            entries.removeFirst()
            pending[key] = entries.isEmpty ? nil : entries
        }
    }

    /// Reservations for `key` that have not expired (expired ones are dropped).
    func count(_ key: String) -> Int {
        let now = ContinuousClock.now
        return pending.withLock { pending in
            guard let entries = pending[key] else { return 0 }
            let live = entries.filter { $0 > now }
            pending[key] = live.isEmpty ? nil : live
            return live.count
        }
    }
}
