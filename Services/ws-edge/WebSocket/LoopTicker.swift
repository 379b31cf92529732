import NIOCore
import Synchronization

/// One timer per event loop for all of its WebSocket connections: protocol pings and close timeouts are checked once
/// a second instead of each connection holding scheduled tasks of its own.
final class LoopTicker {
    /// Connections on this loop, by handler identity; a handler registers when added and leaves when its channel closes.
    private var handlers: [ObjectIdentifier: WebSocketConnectionHandler] = [:]
    private var task: RepeatedTask?
    private let eventLoop: any EventLoop

    static let period = TimeAmount.seconds(1)

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    private static let tickers = Mutex<[ObjectIdentifier: NIOLoopBound<LoopTicker>]>([:])

    /// The ticker of the loop this is called on.
    static func current(on eventLoop: any EventLoop) -> LoopTicker {
        let bound = tickers.withLock { tickers in
            if let ticker = tickers[ObjectIdentifier(eventLoop)] { return ticker }
            let ticker = NIOLoopBound(LoopTicker(eventLoop: eventLoop), eventLoop: eventLoop)
            tickers[ObjectIdentifier(eventLoop)] = ticker
            return ticker
        }
        return bound.value
    }

    func add(_ handler: WebSocketConnectionHandler) {
        handlers[ObjectIdentifier(handler)] = handler
        guard task == nil else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        task = eventLoop.scheduleRepeatedTask(initialDelay: Self.period, delay: Self.period) { _ in
            bound.value.tick()
        }
    }

    func remove(_ handler: WebSocketConnectionHandler) {
        handlers.removeValue(forKey: ObjectIdentifier(handler))
    }

    private func tick() {
        let now = NIODeadline.now()
        for handler in handlers.values { handler.tick(now: now) }
    }
}
