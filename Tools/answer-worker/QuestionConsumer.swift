import Redis
import SwitchboardProtocol

/// This worker's end of the `questions` stream in the `answer-workers` consumer group.
///
/// A question read with `XREADGROUP` stays pending for this consumer until `XACK`. If the worker dies first, another
/// worker takes it over with `XAUTOCLAIM` once it has been pending longer than the claim delay, so every question is
/// answered even when workers crash mid-task.
struct QuestionConsumer: Sendable {
    struct Question: Sendable {
        let entryID: String
        let taskID: String
        let user: String
        let text: String
    }

    let redis: RedisClient
    let consumer: String

    func ensureGroup() async throws {
        do {
            _ = try await redis.send(["XGROUP", "CREATE", QuestionQueue.stream, QuestionQueue.group, "0", "MKSTREAM"])
        } catch RedisError.server(let message) where message.hasPrefix("BUSYGROUP") {
            // Already there.
        }
    }

    /// New questions, waiting up to `block` milliseconds for one.
    func readNew(count: Int, blockMilliseconds: Int) async throws -> [Question] {
        let reply = try await redis.send([
            "XREADGROUP", "GROUP", QuestionQueue.group, consumer, "COUNT", String(count), "BLOCK", String(blockMilliseconds), "STREAMS",
            QuestionQueue.stream, ">",
        ])
        return Self.streamReply(reply)
    }

    /// Questions delivered to this very consumer name before and never acknowledged (a restart under the same name).
    func readOwnPending(count: Int) async throws -> [Question] {
        let reply = try await redis.send([
            "XREADGROUP", "GROUP", QuestionQueue.group, consumer, "COUNT", String(count), "STREAMS", QuestionQueue.stream, "0",
        ])
        return Self.streamReply(reply)
    }

    /// Takes over questions pending (with any consumer) for at least `idleMilliseconds`.
    func claimStale(idleMilliseconds: Int, count: Int) async throws -> [Question] {
        var claimed: [Question] = []
        var cursor = "0-0"
        repeat {
            let reply = try await redis.send([
                "XAUTOCLAIM", QuestionQueue.stream, QuestionQueue.group, consumer, String(idleMilliseconds), cursor, "COUNT", String(count),
            ])
            guard let parts = reply.array, parts.count >= 2, let next = parts[0].text else { break }
            claimed += (parts[1].array ?? []).compactMap(Self.question)
            cursor = next
        } while cursor != "0-0" && claimed.count < count
        return claimed
    }

    func acknowledge(_ question: Question) async throws {
        _ = try await redis.send(["XACK", QuestionQueue.stream, QuestionQueue.group, question.entryID])
    }

    /// `[[stream, [[id, [field, value, …]], …]]]`, or null when nothing came.
    private static func streamReply(_ reply: RedisValue) -> [Question] {
        (reply.array ?? []).flatMap { stream -> [Question] in
            guard let parts = stream.array, parts.count == 2 else { return [] }
            return (parts[1].array ?? []).compactMap(question)
        }
    }

    /// One entry; a deleted entry (trimmed from the stream while pending) comes with null fields and is still returned
    /// with empty text, so that it gets acknowledged and leaves the pending list.
    private static func question(_ value: RedisValue) -> Question? {
        guard let parts = value.array, parts.count == 2, let id = parts[0].text else { return nil }
        var fields: [String: String] = [:]
        let flat = parts[1].array ?? []
        var index = 0
        while index + 1 < flat.count {
            if let name = flat[index].text, let value = flat[index + 1].text { fields[name] = value }
            index += 2
        }
        return Question(entryID: id, taskID: fields["task_id"] ?? "", user: fields["user"] ?? "", text: fields["question"] ?? "")
    }
}
