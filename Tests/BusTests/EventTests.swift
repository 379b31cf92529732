import Bus
import Foundation
import Testing

@Suite("PUB/SUB with XPUB notices, PUSH/PULL", .timeLimit(.minutes(1)))
struct EventTests {
    /// Collects XPUB notices in the background.
    final class NoticeLog: Sendable {
        let box = MutexBox<[SubscriptionNotice]>([])
        let task: Task<Void, Never>

        init(_ publisher: EventPublisher) {
            let box = self.box
            task = Task { for await notice in publisher.notices { box.mutate { $0.append(notice) } } }
        }

        var notices: [SubscriptionNotice] { box.read() }
    }

    @Test func subscribersGetExactlyTheirTopics() async throws {
        let endpoint = temporaryEndpoint("events")
        let publisher = try EventPublisher(endpoint: endpoint)
        defer { publisher.shutdown() }
        let log = NoticeLog(publisher)
        let inbox = Inbox()
        let subscriber = try EventSubscriber(endpoint: endpoint) { inbox.append($0, $1) }
        defer { subscriber.shutdown() }
        subscriber.subscribe("g/1000/1001/T")
        #expect(await eventually { log.notices.contains(.subscribed("g/1000/1001/T")) })

        publisher.publish(topic: "g/1000/1001/T,S", payload: Array("longer topic".utf8))
        publisher.publish(topic: "g/1000/1001/T", payload: Array("mine".utf8))
        #expect(await eventually { inbox.all.count >= 1 })
        try await Task.sleep(for: .milliseconds(100))
        #expect(inbox.all.map(\.0) == ["g/1000/1001/T"])
        #expect(inbox.all.map(\.1) == ["mine"])
    }

    @Test func xpubReportsFirstSubscriberAndLastLeaverOnly() async throws {
        let endpoint = temporaryEndpoint("events")
        let publisher = try EventPublisher(endpoint: endpoint)
        defer { publisher.shutdown() }
        let log = NoticeLog(publisher)
        let first = try EventSubscriber(endpoint: endpoint) { _, _ in }
        let second = try EventSubscriber(endpoint: endpoint) { _, _ in }
        defer { second.shutdown() }
        first.subscribe("room/a")
        second.subscribe("room/a")
        #expect(await eventually { log.notices == [.subscribed("room/a")] })
        try await Task.sleep(for: .milliseconds(100))
        #expect(log.notices == [.subscribed("room/a")])

        first.unsubscribe("room/a")
        try await Task.sleep(for: .milliseconds(100))
        #expect(log.notices == [.subscribed("room/a")])
        // A subscriber that goes away (an edge that dies) counts as leaving.
        second.shutdown()
        #expect(await eventually { log.notices == [.subscribed("room/a"), .unsubscribed("room/a")] })
        first.shutdown()
    }

    @Test func pushFailsWithoutAPullerAndDeliversWithOne() async throws {
        let endpoint = temporaryEndpoint("ingest")
        let pusher = try IngestPusher(endpoint: endpoint)
        defer { pusher.shutdown() }
        #expect(await pusher.push(Array("lost".utf8)) == false)

        let puller = try IngestPuller(endpoint: endpoint)
        defer { puller.shutdown() }
        #expect(await eventually { await pusher.push(Array("hello".utf8)) })
        var iterator = puller.messages.makeAsyncIterator()
        let first = await iterator.next()
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == "hello")
    }
}
