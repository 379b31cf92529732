import Bus
import Foundation
import Logging
import SwitchboardProtocol

/// Tells every edge about a policy change (blocklist, room ACL) over the event bus: auth → ingest PUSH → scheduler →
/// XPUB topic → each edge's SUB (DESIGN.md §2, the path the menu's change frames take).
///
/// The change is already in Redis when this runs; the notice only saves the edges waiting for their next periodic
/// snapshot. So a notice no scheduler takes is retried briefly and then dropped with a warning, never blocking the admin.
struct PolicyNotifier: Sendable {
    let pusher: IngestPusher
    let logger: Logger
    static let retryDelays: [Duration] = [.milliseconds(20), .milliseconds(100), .milliseconds(300)]

    func blocklistChanged(_ notice: BlocklistNotice) {
        send(topic: PolicyTopic.blocklist, notice)
    }

    func roomACLChanged(_ notice: RoomACLNotice) {
        send(topic: PolicyTopic.roomACL, notice)
    }

    private func send(topic: String, _ notice: some Encodable & Sendable) {
        guard let body = try? JSONEncoder().encode(notice),
            let payload = try? JSONEncoder().encode(IngestEvent(topic: topic, frame: String(decoding: body, as: UTF8.self)))
        else { return }
        let pusher = self.pusher
        let logger = self.logger
        Task {
            if await pusher.push(Array(payload)) { return }
            for delay in Self.retryDelays {
                try? await Task.sleep(for: delay)
                if await pusher.push(Array(payload)) { return }
            }
            logger.warning("no scheduler took the \(topic) notice; edges pick the change up at their next policy snapshot")
        }
    }
}
