import Foundation
import Synchronization

/// The per-IP connection limit, decided on this edge without a call to auth: this edge's own open connections per
/// policy key, plus the other edges' counts as of the last exchange with auth (`PolicyCountsExchange`, every second).
///
/// Check and reservation are one step under one lock, so concurrent upgrades from one address cannot overshoot here.
/// A reservation covers the time between the admission and the session's start (`opened`); one that never becomes a
/// connection (a later hook refused, the upgrade failed) expires.
final class ConnectionAdmission: Sendable {
    struct Decision: Sendable, Equatable {
        let allowed: Bool
        let local: Int
        let others: Int
    }

    private struct State {
        /// Policy key → this edge's open, counted connections.
        var open: [String: Int] = [:]
        /// Connection id → its policy key, for the connections counted in `open`.
        var counted: [String: String] = [:]
        /// Policy key → expiry (monotonic ns) of each admission whose session has not started yet.
        var reserved: [String: [UInt64]] = [:]
        var others: [String: Int] = [:]
        /// When `others` arrived (monotonic ns; 0: never).
        var othersAt: UInt64 = 0
    }

    private let state = Mutex(State())
    let reservationNanos: UInt64
    /// Other edges' counts older than this are not used (they would only keep refusing after those connections closed).
    let othersValidNanos: UInt64

    init(reservation: Duration = .seconds(10), othersValid: Duration = .seconds(30)) {
        reservationNanos = UInt64(max(0, reservation.seconds) * 1e9)
        othersValidNanos = UInt64(max(0, othersValid.seconds) * 1e9)
    }

    /// Admits (and reserves a slot for) one more connection from `key` when this edge's count plus the others' is below `limit`.
    func admit(_ key: String, limit: Int, now: UInt64 = MessageRateLimiter.now()) -> Decision {
        let reservation = reservationNanos
        let othersValid = othersValidNanos
        return state.withLock { state in
            let pending = Self.liveReservations(&state, key, now: now)
            let local = (state.open[key] ?? 0) + pending
            let others = state.othersAt != 0 && now &- state.othersAt < othersValid ? (state.others[key] ?? 0) : 0
            guard local + others < limit else { return Decision(allowed: false, local: local, others: others) }
            state.reserved[key, default: []].append(now &+ reservation)
            return Decision(allowed: true, local: local + 1, others: others)
        }
    }

    /// A session started: its reservation (if any) becomes a counted connection.
    func opened(_ connectionID: String, key: String) {
        state.withLock { state in
            guard state.counted.updateValue(key, forKey: connectionID) == nil else { return }
            state.open[key, default: 0] += 1
            if var entries = state.reserved[key], !entries.isEmpty {
                entries.removeFirst()
                state.reserved[key] = entries.isEmpty ? nil : entries
            }
        }
    }

    /// A counted connection closed. Idempotent; unknown ids are ignored.
    func closed(_ connectionID: String) {
        state.withLock { state in
            guard let key = state.counted.removeValue(forKey: connectionID) else { return }
            let left = (state.open[key] ?? 1) - 1
            state.open[key] = left > 0 ? left : nil
        }
    }

    /// This edge's counts for the exchange: open connections plus live reservations, per policy key.
    func counts(now: UInt64 = MessageRateLimiter.now()) -> [String: Int] {
        state.withLock { state in
            var counts = state.open
            for key in Array(state.reserved.keys) {
                let pending = Self.liveReservations(&state, key, now: now)
                if pending > 0 { counts[key, default: 0] += pending }
            }
            return counts
        }
    }

    func othersArrived(_ others: [String: Int], now: UInt64 = MessageRateLimiter.now()) {
        state.withLock { state in
            state.others = others
            state.othersAt = now
        }
    }

    /// Seconds since the last exchange with auth succeeded; nil when none has.
    func secondsSinceExchange(now: UInt64 = MessageRateLimiter.now()) -> Double? {
        let at = state.withLock { $0.othersAt }
        return at == 0 ? nil : Double(now &- at) / 1e9
    }

    private static func liveReservations(_ state: inout State, _ key: String, now: UInt64) -> Int {
        guard let entries = state.reserved[key] else { return 0 }
        if entries.allSatisfy({ $0 > now }) { return entries.count }
        let live = entries.filter { $0 > now }
        if live.count != entries.count { state.reserved[key] = live.isEmpty ? nil : live }
        return live.count
    }
}
