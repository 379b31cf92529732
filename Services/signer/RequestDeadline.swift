import Foundation

/// The deadline the edge gave the `http.request` being served, so the signer answers its own 504 before the edge gives up.
///
/// The edge waits a bounded time for every RPC (DESIGN.md §2); a signer timeout longer than that would leave the caller
/// with the edge's generic timeout and the upstream request still running. The signer clamps its upstream timeout to
/// the time left, minus a margin for the reply's trip back.
enum RequestDeadline {
    @TaskLocal static var current: Date?

    static let replyMargin: TimeInterval = 0.15

    /// Time left for upstream work, or nil when the request carries no deadline.
    static func remaining() -> Duration? {
        guard let current else { return nil }
        let seconds = max(0.001, current.timeIntervalSinceNow - replyMargin)
        return .milliseconds(Int(seconds * 1000))
    }
}
