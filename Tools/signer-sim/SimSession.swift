import HummingbirdWebSocket

/// One client connection to the simulator: the handshake, then answers — one at a time (a card reader) or concurrently.
struct SimSession: Sendable {
    static let maxMessageBytes = 8 << 20

    let behaviour: SimBehaviour
    let serial: Bool

    /// Ending the connection on purpose (`--drop-rate`, `--drop-first`).
    struct Dropped: Error {}

    func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        try await outbound.writeTextMessage(behaviour.handshake)
        if serial {
            for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                guard case .text(let text) = message else { continue }
                guard try await answer(text, outbound: outbound) else { return }
            }
            return
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for try await message in inbound.messages(maxSize: Self.maxMessageBytes) {
                    guard case .text(let text) = message else { continue }
                    group.addTask {
                        guard try await answer(text, outbound: outbound) else { throw Dropped() }
                    }
                }
                try await group.waitForAll()
            }
        } catch is Dropped {
            return
        }
    }

    /// Answers one frame; false when the connection is to be dropped instead.
    private func answer(_ text: String, outbound: WebSocketOutboundWriter) async throws -> Bool {
        switch behaviour.answer(text) {
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
