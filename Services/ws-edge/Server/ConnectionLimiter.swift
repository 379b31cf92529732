import NIOCore
import Synchronization

/// Counts the edge's open TCP connections, in total and per peer address, and refuses a new one past either cap.
///
/// It is asked at accept time, before the connection has sent a byte, so a flood of half-open or half-sent requests from
/// one address fills only that address's share and every other client still gets in. The peer is the TCP peer: behind
/// a balancer every client shares the balancer's address, so raise the per-IP cap there (the WebSocket per-IP policy in
/// auth uses the forwarded client address instead). One lock-protected table shared by every event loop.
final class ConnectionLimiter: Sendable {
    struct Counts: Sendable {
        var total = 0
        var perIP: [String: Int] = [:]
    }

    /// Why a connection was refused, for the log.
    enum Refusal: Sendable, Equatable {
        case edgeFull
        case addressFull
    }

    let maxConnections: Int
    let maxPerIP: Int
    private let counts = Mutex(Counts())

    init(maxConnections: Int, maxPerIP: Int) {
        self.maxConnections = maxConnections
        self.maxPerIP = maxPerIP
    }

    /// The key a peer is counted under: its IP address, or `unknown` for a peer without one.
    static func key(for channel: any Channel) -> String {
        channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// Takes a slot for `key`, or says which cap is reached.
    func admit(_ key: String) -> Refusal? {
        counts.withLock { counts in
            if counts.total >= maxConnections { return .edgeFull }
            let current = counts.perIP[key, default: 0]
            if current >= maxPerIP { return .addressFull }
            counts.total += 1
            counts.perIP[key] = current + 1
            return nil
        }
    }

    /// Gives back the slot `admit` took; the address's entry disappears with its last connection.
    func release(_ key: String) {
        counts.withLock { counts in
            counts.total = max(0, counts.total - 1)
            let remaining = counts.perIP[key, default: 0] - 1
            counts.perIP[key] = remaining > 0 ? remaining : nil
        }
    }

    var snapshot: Counts { counts.withLock { $0 } }
}
