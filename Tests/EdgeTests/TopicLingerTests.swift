import Bus
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import WSEdge

/// A topic whose last member leaves stays subscribed for the linger time, so reconnects cause no subscription churn
/// on the SUB socket and the scheduler's XPUB; after it, the topic is unsubscribed. Real ZeroMQ sockets over `ipc://`.
@Suite struct TopicLingerTests {
    final class Silent: ConnectionTransport {
        func write(_ payload: WirePayload) {}
        func startClose(code: UInt16, reason: String) {}
        func enqueueCall(keepAfterClose: Bool, _ body: @escaping @Sendable () async -> Void) {}
    }

    /// Every notice the publisher reported so far, collected by a task the test cancels.
    final class Notices: Sendable {
        let seen = Mutex<[SubscriptionNotice]>([])
        var all: [SubscriptionNotice] { seen.withLock { $0 } }

        /// Waits up to `timeout` for `count` notices; returns what arrived.
        func wait(for count: Int, timeout: Duration) async -> [SubscriptionNotice] {
            let end = ContinuousClock.now + timeout
            while all.count < count, ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(10)) }
            return all
        }
    }

    @Test func aTopicOutlivesItsLastMemberForTheLingerTimeThenIsUnsubscribed() async throws {
        let endpoint = "ipc://\(NSTemporaryDirectory())linger-\(UUID().uuidString.prefix(8)).sock"
        let publisher = try EventPublisher(endpoint: endpoint)
        defer { publisher.shutdown() }
        let registry = try ConnectionRegistry(eventsEndpoint: endpoint, logger: Logger(label: "test"), linger: .seconds(30))
        defer { registry.shutdown() }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        /// A connection is made on its event loop (its transport is bound to it).
        func connection(_ id: String) async throws -> Connection {
            try await loop.submit {
                Connection(
                    id: id, endpoint: .main, principal: nil, ip: "127.0.0.1", transport: Silent(), eventLoop: loop, maxBytes: 1 << 20,
                    registry: registry)
            }.get()
        }
        let notices = Notices()
        let collector = Task { for await notice in publisher.notices { notices.seen.withLock { $0.append(notice) } } }
        defer { collector.cancel() }
        let first = try await connection("c1")
        registry.join(first, "user/ada")
        #expect(await notices.wait(for: 1, timeout: .seconds(10)) == [.subscribed("user/ada")])

        // The last member leaves and a new one joins: the topic was never unsubscribed.
        registry.leave(first, "user/ada")
        #expect(registry.members.idleCount == 1)
        #expect(registry.members.releaseIdle() == 0)
        let second = try await connection("c2")
        registry.join(second, "user/ada")
        #expect(registry.members.idleCount == 0)
        registry.leave(second, "user/ada")
        #expect(await notices.wait(for: 2, timeout: .milliseconds(300)) == [.subscribed("user/ada")], "unsubscribed before its linger time")
        #expect(registry.members.members(of: "user/ada").isEmpty)

        // Past the linger time the maintenance sweep unsubscribes it.
        #expect(registry.members.releaseIdle(now: .now + .seconds(31)) == 1)
        #expect(await notices.wait(for: 2, timeout: .seconds(10)) == [.subscribed("user/ada"), .unsubscribed("user/ada")])
        #expect(registry.members.idleCount == 0)
    }
}
