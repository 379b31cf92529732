import Bus
import Foundation
import SwitchboardProtocol

/// The scheduler's side of questions: accepts them as tasks, takes workers' answers and sends them to the asker
/// (`task_update`, then `answer`, on `user/<user>`), serves the user's own history and suggestions.
struct QuestionService: Sendable {
    let store: QuestionStore
    let publisher: EventPublisher

    static let maxHistoryLimit = 100
    static let maxSuggestions = 10
    /// A worker's answer, in UTF-8 bytes.
    static let maxAnswerBytes = 10_000

    func register(on rpc: RPCServer) {
        rpc.register(QuestionAsk.self) { params, _ in
            let question = params.question.trimmingCharacters(in: .whitespacesAndNewlines)
            if let problem = InputLimits.questionProblem(question) { throw RPCError.badRequest(problem) }
            try Self.validate(user: params.user)
            let taskID = try await store.ask(user: params.user, question: question, session: params.session)
            return QuestionAsk.Result(taskID: taskID, status: "processing")
        }
        rpc.register(QuestionComplete.self) { params, _ in
            try Self.validate(user: params.user)
            guard !params.taskID.isEmpty, params.taskID.utf8.count <= 64, params.answer.utf8.count <= Self.maxAnswerBytes else {
                throw RPCError.badRequest("task id must be 1 to 64 bytes and the answer at most \(Self.maxAnswerBytes) bytes")
            }
            guard let question = try await store.complete(params) else { return QuestionComplete.Result(published: false) }
            let topic = "user/\(params.user)"
            publisher.publish(topic: topic, payload: QuestionFrames.taskUpdate(taskID: params.taskID, status: "done"))
            publisher.publish(
                topic: topic,
                payload: QuestionFrames.answer(
                    taskID: params.taskID, question: question, answer: params.answer, score: params.score, source: params.source)
            )
            return QuestionComplete.Result(published: true)
        }
        rpc.register(QuestionHistory.self) { params, _ in
            try Self.validate(user: params.user)
            guard (1...Self.maxHistoryLimit).contains(params.limit) else { throw RPCError.badRequest("limit must be 1 to \(Self.maxHistoryLimit)") }
            let before = try params.before.map(RoomService.streamID)
            let page = try await store.history(user: params.user, before: before, limit: params.limit)
            return QuestionHistory.Result(entries: page.entries, hasMore: page.hasMore)
        }
        rpc.register(QuestionClear.self) { params, _ in
            try Self.validate(user: params.user)
            return QuestionClear.Result(deleted: try await store.clear(user: params.user))
        }
        rpc.register(QuestionSuggest.self) { params, _ in
            guard params.prefix.count <= QuestionQueue.maxLength else { throw RPCError.badRequest("prefix is too long") }
            try Self.validate(user: params.user)
            let limit = min(max(params.limit, 1), Self.maxSuggestions)
            return QuestionSuggest.Result(
                suggestions: try await SuggestionSources(redis: store.redis).suggest(user: params.user, prefix: params.prefix, limit: limit))
        }
    }

    static func validate(user: String) throws {
        guard !user.isEmpty, user.utf8.count <= 128, user != "anonymous" else { throw RPCError.badRequest("questions need a signed-in user") }
    }
}
