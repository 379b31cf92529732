import Foundation
import Redis
import ServiceKit
import SwitchboardProtocol

/// Where `get_suggestions` draws from: the caller's own earlier questions and an operator-curated public list — never
/// other users' questions, which would show everyone what anyone asked.
///
/// - own: the user's history stream `questions:{user}` (already capped), its last `ownScanLimit` questions counted per
///   normalised text, so nothing new is stored per question;
/// - public: `questions:suggestions:public`, a list kept in the operator's order, replaced whole by
///   `PUT /api/questions/suggestions` {"suggestions": [text]} (role operator or admin) and read by `GET` (signed in).
struct SuggestionSources: Sendable {
    let redis: RedisClient

    static let publicKey = "questions:suggestions:public"
    static let maxPublic = 500
    static let ownScanLimit = 500

    struct PublicList: Codable, Sendable {
        let suggestions: [String]
    }

    /// Own matches first (most asked first), then public ones not already given, at most `limit`.
    func suggest(user: String, prefix: String, limit: Int) async throws -> [QuestionSuggest.Suggestion] {
        let normalised = QuestionQueue.normalise(prefix)
        let replies = try await redis.pipeline([
            ["XREVRANGE", QuestionStore.userKey(user), "+", "-", "COUNT", String(Self.ownScanLimit)],
            ["LRANGE", Self.publicKey, "0", String(Self.maxPublic - 1)],
        ])
        var counts: [String: Int] = [:]
        for entry in StreamEntry.list(replies.first ?? .null) where entry.fields["kind"] == "question" {
            let text = QuestionQueue.normalise(entry.fields["text"] ?? "")
            if !text.isEmpty, text.hasPrefix(normalised) { counts[text, default: 0] += 1 }
        }
        var result = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { QuestionSuggest.Suggestion(text: $0.key, count: $0.value, source: "own") }
        var seen = Set(result.map(\.text))
        for text in (replies.last?.array ?? []).compactMap(\.text) where result.count < limit {
            let key = QuestionQueue.normalise(text)
            guard key.hasPrefix(normalised), seen.insert(key).inserted else { continue }
            result.append(QuestionSuggest.Suggestion(text: text, count: 0, source: "public"))
        }
        return result
    }

    func register(into routes: inout HTTPRoutes.Builder) {
        routes.on("GET", "/api/questions/suggestions") { call in
            _ = try call.requirePrincipal()
            let reply = try await redis.send(["LRANGE", Self.publicKey, "0", String(Self.maxPublic - 1)])
            return .json(PublicList(suggestions: (reply.array ?? []).compactMap(\.text)))
        }
        routes.on("PUT", "/api/questions/suggestions") { call in
            _ = try call.require(role: "operator")
            let body = try call.decodeBody(PublicList.self)
            let texts = body.suggestions.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard texts.count <= Self.maxPublic,
                texts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= QuestionQueue.maxLength * 4 && $0.count <= QuestionQueue.maxLength })
            else {
                throw HTTPError(
                    400, "invalid_input",
                    "suggestions must be at most \(Self.maxPublic) non-empty texts of at most \(QuestionQueue.maxLength) characters")
            }
            var commands: [[String]] = [["MULTI"], ["DEL", Self.publicKey]]
            if !texts.isEmpty { commands.append(["RPUSH", Self.publicKey] + texts) }
            commands.append(["EXEC"])
            let replies = try await redis.pipeline(commands)
            guard case .array = replies.last else { throw HTTPError(503, "storage_unavailable", "the list was not stored") }
            return .json(PublicList(suggestions: texts))
        }
    }
}
