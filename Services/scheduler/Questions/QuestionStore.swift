import Foundation
import Redis
import SwitchboardProtocol
import Synchronization

/// Questions and their tasks in Redis:
/// - `task:{id}` hash (`status`, `question`, `user`, `created_at`, later `answer`, `score`, `source`, `worker`,
///   `answered_at`) with a TTL (`SWITCHBOARD_TASK_TTL_SECONDS`, default one hour);
/// - `questions:{user}` stream: the user's own history (`kind` question or answer), capped;
/// - `questions` stream with the consumer group `answer-workers`: the work queue;
/// - `questions:popular` sorted set (count per normalised question) and `questions:lex` (the same members at score 0,
///   for prefix search with `ZRANGEBYLEX`), both trimmed to `suggestionCap` members on every ask: `popular` keeps the
///   most asked, `lex` the members `popular` still has (see `trim`), so neither grows with every distinct question.
final class QuestionStore: Sendable {
    let redis: RedisClient
    let taskTTLSeconds: Int
    /// The most distinct questions kept for suggestions (`SWITCHBOARD_QUESTION_SUGGESTIONS_MAX`).
    let suggestionCap: Int
    private let groupReady = Mutex(false)

    static let queueMaxLength = 100_000
    static let userHistoryMaxLength = 1000
    static let popularKey = "questions:popular"
    static let lexKey = "questions:lex"
    static let maxSuggestionCandidates = 200
    static let defaultSuggestionCap = 10_000

    init(redis: RedisClient, taskTTLSeconds: Int, suggestionCap: Int = QuestionStore.defaultSuggestionCap) {
        self.redis = redis
        self.taskTTLSeconds = taskTTLSeconds
        self.suggestionCap = max(1, suggestionCap)
    }

    static func taskKey(_ id: String) -> String { "task:\(id)" }
    static func userKey(_ user: String) -> String { "questions:\(user)" }

    /// Creates the consumer group (from the start of the stream, so nothing asked before a worker ever ran is lost).
    func ensureGroup() async throws {
        guard !groupReady.withLock({ $0 }) else { return }
        do {
            _ = try await redis.send(["XGROUP", "CREATE", QuestionQueue.stream, QuestionQueue.group, "0", "MKSTREAM"])
        } catch RedisError.server(let message) where message.hasPrefix("BUSYGROUP") {
            // Already there.
        }
        groupReady.withLock { $0 = true }
    }

    func ask(user: String, question: String, session: String?) async throws -> String {
        try await ensureGroup()
        let taskID = UUID().uuidString.lowercased()
        let now = String(Int64(Date().timeIntervalSince1970 * 1000))
        let normalised = QuestionQueue.normalise(question)
        let task = Self.taskKey(taskID)
        let replies = try await redis.pipeline([
            ["MULTI"],
            ["HSET", task, "status", "processing", "question", question, "user", user, "created_at", now, "session", session ?? ""],
            ["EXPIRE", task, String(taskTTLSeconds)],
            [
                "XADD", Self.userKey(user), "MAXLEN", "~", String(Self.userHistoryMaxLength), "*", "kind", "question", "task_id", taskID,
                "text", question, "time", now,
            ],
            [
                "XADD", QuestionQueue.stream, "MAXLEN", "~", String(Self.queueMaxLength), "*", "task_id", taskID, "user", user, "question",
                question, "time", now,
            ],
            ["ZINCRBY", Self.popularKey, "1", normalised],
            ["ZADD", Self.lexKey, "0", normalised],
            // In the same transaction, so the ask stays one round trip and the reply is not held back behind the trim
            // (a fast worker must not beat `question_accepted` to the asker).
            Self.trimScript.evalCommand(keys: [Self.popularKey, Self.lexKey], arguments: [String(suggestionCap)]),
            ["EXEC"],
        ])
        guard case .array = replies.last else {
            throw RPCError(code: RPCError.internalCode, message: "storing the question failed: \(replies.last ?? .null)")
        }
        return taskID
    }

    /// Drops the least asked questions past `suggestionCap` from `popular` (`ZREMRANGEBYRANK`, lowest counts first) and
    /// the same members from `lex`, atomically; run inside each ask's transaction. A failed trim leaves the ask stored (EXEC
    /// still answers) and the next ask trims what it could not. A new question enters with count 1, so under pressure it is among the
    /// first to go: the suggestions keep what many people asked, which is what they are for.
    private static let trimScript = RedisScript(
        """
        local cap = tonumber(ARGV[1])
        local excess = redis.call('ZCARD', KEYS[1]) - cap
        if excess > 0 then
          local gone = redis.call('ZRANGE', KEYS[1], 0, excess - 1)
          redis.call('ZREMRANGEBYRANK', KEYS[1], 0, excess - 1)
          for i = 1, #gone, 500 do
            redis.call('ZREM', KEYS[2], unpack(gone, i, math.min(i + 499, #gone)))
          end
        end
        -- lex holds popular's members; should it ever hold more (written by an older version), it is cut to the cap too.
        local lexExcess = redis.call('ZCARD', KEYS[2]) - cap
        if lexExcess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, lexExcess - 1) end
        return math.max(excess, 0)
        """)

    private static let finish = RedisScript(
        """
        if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, ''} end
        if redis.call('HGET', KEYS[1], 'status') == 'done' then return {0, ''} end
        redis.call('HSET', KEYS[1], 'status', 'done', 'answer', ARGV[1], 'score', ARGV[2], 'source', ARGV[3], 'worker', ARGV[4],
          'answered_at', ARGV[5])
        redis.call('EXPIRE', KEYS[1], ARGV[6])
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 'kind', 'answer', 'task_id', ARGV[8], 'text', ARGV[1],
          'score', ARGV[2], 'source', ARGV[3], 'time', ARGV[5])
        return {1, redis.call('HGET', KEYS[1], 'question') or ''}
        """)

    /// Marks the task done once; returns the question when this call did it, nil when it was done before or expired.
    func complete(_ params: QuestionComplete.Params) async throws -> String? {
        let reply = try await Self.finish.run(
            redis,
            keys: [Self.taskKey(params.taskID), Self.userKey(params.user)],
            arguments: [
                params.answer, QuestionFrames.scoreText(params.score), params.source, params.worker,
                String(Int64(Date().timeIntervalSince1970 * 1000)), String(taskTTLSeconds), String(Self.userHistoryMaxLength), params.taskID,
            ]
        )
        guard let parts = reply.array, parts.count == 2, parts[0].int == 1 else { return nil }
        return parts[1].text ?? ""
    }

    func history(user: String, before: StreamID?, limit: Int) async throws -> (entries: [QuestionEntry], hasMore: Bool) {
        let reply = try await redis.send(["XREVRANGE", Self.userKey(user), before.map { "(\($0)" } ?? "+", "-", "COUNT", String(limit + 1)])
        let entries = StreamEntry.list(reply).map { entry in
            QuestionEntry(
                id: entry.id,
                kind: entry.fields["kind"] ?? "question",
                taskID: entry.fields["task_id"] ?? "",
                text: entry.fields["text"] ?? "",
                score: entry.fields["score"].flatMap(Double.init),
                source: entry.fields["source"],
                time: Int64(entry.fields["time"] ?? "") ?? 0
            )
        }
        return (Array(entries.prefix(limit).reversed()), entries.count > limit)
    }

    func clear(user: String) async throws -> Int {
        let replies = try await redis.pipeline([["MULTI"], ["XLEN", Self.userKey(user)], ["DEL", Self.userKey(user)], ["EXEC"]])
        return replies.last?.array?.first?.int ?? 0
    }

    /// A sorted-set score as a count. Scores are doubles that Redis also spells `inf`; `Int(_:)` of an infinite or
    /// huge one would trap, so it is clamped first.
    static func count(_ score: Double) -> Int {
        score.isFinite ? Int(min(max(score, 0), 1e15)) : 0
    }

    /// The most frequent normalised questions starting with `prefix` (any, when empty), most frequent first.
    func suggest(prefix: String, limit: Int) async throws -> [QuestionSuggest.Suggestion] {
        let normalised = QuestionQueue.normalise(prefix)
        if normalised.isEmpty {
            let reply = try await redis.send(["ZREVRANGE", Self.popularKey, "0", String(limit - 1), "WITHSCORES"])
            let flat = reply.array ?? []
            return stride(from: 0, to: flat.count - 1, by: 2).compactMap { index in
                guard let text = flat[index].text, let score = flat[index + 1].text.flatMap(Double.init) else { return nil }
                return .init(text: text, count: Self.count(score))
            }
        }
        let low = Array("[".utf8) + Array(normalised.utf8)
        let high = low + [0xFF]
        let candidates = try await redis.sendBytes([
            Array("ZRANGEBYLEX".utf8), Array(Self.lexKey.utf8), low, high, Array("LIMIT".utf8), Array("0".utf8),
            Array(String(Self.maxSuggestionCandidates).utf8),
        ])
        let texts = (candidates.array ?? []).compactMap(\.text)
        guard !texts.isEmpty else { return [] }
        let scores = try await redis.send(["ZMSCORE", Self.popularKey] + texts).array ?? []
        let ranked = zip(texts, scores).map { text, score in
            QuestionSuggest.Suggestion(text: text, count: Self.count(score.text.flatMap(Double.init) ?? 0))
        }
        return Array(ranked.sorted { $0.count != $1.count ? $0.count > $1.count : $0.text < $1.text }.prefix(limit))
    }
}
