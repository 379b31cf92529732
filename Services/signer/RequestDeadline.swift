import Foundation

/// The deadline the edge gave the `http.request` being served, so the signer answers its own 504 before the edge gives up.
///
/// The edge waits a bounded time for every RPC (DESIGN.md §2); a signer timeout longer than that would leave the caller
/// with the edge's generic timeout and the upstream request still running. The signer clamps its upstream timeout to
/// the time left, minus a margin for the reply's trip back.
enum RequestDeadline {
    @TaskLocal static var current: Date?

    static let replyMargin: TimeInterval = 0.15
    /// The deadline arrives over the bus as Unix milliseconds; one an hour or more away is treated as an hour, so the
    /// conversion to a `Duration` can never overflow.
    static let longest: TimeInterval = 3600

    /// Time left for upstream work, or nil when the request carries no deadline.
    static func remaining() -> Duration? {
        guard let current else { return nil }
        let left = current.timeIntervalSinceNow - replyMargin
        let seconds = left.isFinite ? min(max(0.001, left), longest) : longest
        return .milliseconds(Int(seconds * 1000))
    }
}
