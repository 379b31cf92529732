import Foundation
import Redis
import Synchronization
import TestSupport
import Testing

/// Collects subscriber messages on a background task so the test can poll for them with a deadline.
final class Inbox: Sendable {
    private final class Storage: Sendable {
        let received = Mutex<[RedisPubSubMessage]>([])
    }

    private let storage = Storage()
    private let task: Task<Void, Never>

    init(_ subscriber: RedisSubscriber) {
        let storage = storage
        task = Task {
            for await message in subscriber.messages {
                storage.received.withLock { $0.append(message) }
            }
        }
    }

    var messages: [RedisPubSubMessage] { storage.received.withLock { $0 } }

    func cancel() { task.cancel() }
}

@Suite(.serialized, .timeLimit(.minutes(2))) struct RedisSubscriberTests {
    /// Publishes `payload` until `inbox` has a message with it (pub/sub drops messages sent before SUBSCRIBE lands).
    func publishUntilReceived(_ client: RedisClient, _ inbox: Inbox, channel: String, payload: String) async -> Bool {
        await eventually(within: .seconds(5), every: .milliseconds(100)) {
            _ = try? await withTimeout(.seconds(1)) { try await client.send("PUBLISH", channel, payload) }
            try? await Task.sleep(for: .milliseconds(20))
            return inbox.messages.contains { $0.text == payload }
        }
    }

    @Test func receivesAndResubscribesAfterRestart() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let configuration = try RedisConfiguration(url: server.url)
        let client = RedisClient(configuration: configuration)
        defer { client.shutdown() }
        let subscriber = RedisSubscriber(configuration: configuration, channels: ["alarm:events"], patterns: ["room:*"])
        defer { subscriber.shutdown() }
        let inbox = Inbox(subscriber)
        defer { inbox.cancel() }

        #expect(await eventually(within: .seconds(5)) { subscriber.isSubscribed })
        #expect(await publishUntilReceived(client, inbox, channel: "alarm:events", payload: "first"))
        #expect(await publishUntilReceived(client, inbox, channel: "room:7", payload: "in-room"))
        let roomMessage = inbox.messages.first { $0.text == "in-room" }
        #expect(roomMessage == RedisPubSubMessage(channel: "room:7", pattern: "room:*", payload: Array("in-room".utf8)))
        #expect(inbox.messages.first { $0.text == "first" }?.pattern == nil)

        server.kill9()
        #expect(await eventually(within: .seconds(3)) { !subscriber.isSubscribed })
        try await server.restart()
        #expect(await eventually(within: .seconds(5)) { subscriber.isSubscribed })
        #expect(await publishUntilReceived(client, inbox, channel: "alarm:events", payload: "after-restart"))
        #expect(await publishUntilReceived(client, inbox, channel: "room:9", payload: "room-after-restart"))
    }

    @Test func binaryPayloadAndShutdownFinishesStream() async throws {
        let server = try await RedisServer.start()
        defer { server.stop() }
        let configuration = try RedisConfiguration(url: server.url)
        let client = RedisClient(configuration: configuration)
        defer { client.shutdown() }
        let subscriber = RedisSubscriber(configuration: configuration, channels: ["bin"])
        #expect(await eventually(within: .seconds(5)) { subscriber.isSubscribed })

        let payload: [UInt8] = [0, 1, 2, 0, 255, 13, 10]
        _ = try await withTimeout(.seconds(2)) {
            try await client.sendBytes([Array("PUBLISH".utf8), Array("bin".utf8), payload])
        }
        let first = try await withTimeout(.seconds(5)) {
            var iterator = subscriber.messages.makeAsyncIterator()
            return await iterator.next()
        }
        #expect(first == RedisPubSubMessage(channel: "bin", payload: payload))

        subscriber.shutdown()
        subscriber.shutdown()
        let ended = try await withTimeout(.seconds(5)) {
            var iterator = subscriber.messages.makeAsyncIterator()
            while await iterator.next() != nil {}
            return true
        }
        #expect(ended)
    }

    @Test func subscriberSurvivesRedisDownAtStart() async throws {
        let port = try FreePort.allocate()
        let configuration = RedisConfiguration(host: "127.0.0.1", port: port)
        let subscriber = RedisSubscriber(configuration: configuration, channels: ["late"])
        defer { subscriber.shutdown() }
        let inbox = Inbox(subscriber)
        defer { inbox.cancel() }
        try await Task.sleep(for: .milliseconds(200))
        #expect(!subscriber.isSubscribed)

        let server = try await RedisServer.start(port: port)
        defer { server.stop() }
        let client = RedisClient(configuration: configuration)
        defer { client.shutdown() }
        #expect(await eventually(within: .seconds(5)) { subscriber.isSubscribed })
        #expect(await publishUntilReceived(client, inbox, channel: "late", payload: "hello"))
    }
}
