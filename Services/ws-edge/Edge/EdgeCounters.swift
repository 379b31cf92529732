import ClientFrames
import Metrics
import Synchronization

/// The edge's hot-path counters: atomics bumped per frame, turned into Prometheus counters every few seconds, so fan-out
/// never takes a metrics lock per frame.
final class EdgeCounters: Sendable {
    static let shared = EdgeCounters()

    private let framesOut = Atomic<Int>(0)
    private let slowConsumerCloses = Atomic<Int>(0)
    private let compressedFramesOut = Atomic<Int>(0)
    private let reported = Mutex((framesOut: 0, slowConsumerCloses: 0, compressedFramesOut: 0))
    /// `switchboard_ws_frames_in_total` by message type (a type the catalog does not name counts as `unknown`).
    let framesIn = LabeledCounts(
        label: "switchboard_ws_frames_in_total", dimension: "type", values: ClientMessageCatalog.entries.map(\.type), other: "unknown")

    func frameSent() { framesOut.wrappingAdd(1, ordering: .relaxed) }
    func slowConsumerClosed() { slowConsumerCloses.wrappingAdd(1, ordering: .relaxed) }
    /// A frame went out compressed (permessage-deflate): shows in /metrics that clients read compressed frames.
    func compressedFrameSent() { compressedFramesOut.wrappingAdd(1, ordering: .relaxed) }

    /// Adds what happened since the last call to the Prometheus counters.
    func flush() {
        let now = (
            framesOut.load(ordering: .relaxed), slowConsumerCloses.load(ordering: .relaxed), compressedFramesOut.load(ordering: .relaxed)
        )
        let delta = reported.withLock { last in
            defer { last = (now.0, now.1, now.2) }
            framesIn.flush()
            return (now.0 - last.framesOut, now.1 - last.slowConsumerCloses, now.2 - last.compressedFramesOut)
        }
        if delta.0 > 0 { Counter(label: "switchboard_ws_frames_out_total").increment(by: delta.0) }
        if delta.1 > 0 { Counter(label: "switchboard_ws_queue_overflow_closes_total").increment(by: delta.1) }
        if delta.2 > 0 { Counter(label: "switchboard_ws_compressed_frames_out_total").increment(by: delta.2) }
    }
}
