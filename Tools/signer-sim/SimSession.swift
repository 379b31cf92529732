import HummingbirdWebSocket

/// One client connection to the simulator: the handshake, then answers — one at a time (a card reader) or concurrently.
struct SimSession: Sendable {
    static let maxMessageBytes = 8 << 20

    let behaviour: SimBehaviour
    let serial: Bool

    /// Ending the connection on purpose (`--drop-rate`, `--drop-first`).
    struct Dropped: Error {}

    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let blocks = SimBlocks()
        try await outbound.writeTextMessage(behaviour.handshake)
        if serial {
            for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                guard case .text(let text) = message else { continue }
                guard try await answer(text, blocks: blocks, outbound: outbound) else { return }
            }
            return
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                    guard case .text(let text) = message else { continue }
                    group.addTask {
                        guard try await answer(text, blocks: blocks, outbound: outbound) else { throw Dropped() }
                    }
                }
                try await group.waitForAll()
            }
        } catch is Dropped {
            return
        }
    }

    /// Answers one frame; false when the connection is to be dropped instead. A `BLOCKTXT` block is answered with
    /// `_nextBlock` at once; the last one makes the whole request, answered as if it had come in one frame.
    private func answer(_ text: String, blocks: SimBlocks, outbound: WebSocketOutboundWriter) async throws -> Bool {
        var request = text
        var whole = true
        if text.hasPrefix(SimBlocks.marker) {
            switch blocks.take(text) {
            case .ask(let frame), .refuse(let frame):
                try await outbound.writeTextMessage(frame)
                return true
            case .complete(let joined, let finish):
                try await outbound.writeTextMessage(finish)
                request = joined
                whole = false
            }
        }
        switch behaviour.answer(request, whole: whole) {
        case .reply(let reply, let latency):
            if latency > .zero { try await Task.sleep(for: latency) }
            try await outbound.writeTextMessage(reply)
            return true
        case .drop(let latency):
            if latency > .zero { try await Task.sleep(for: latency) }
            return false
        }
    }
}
