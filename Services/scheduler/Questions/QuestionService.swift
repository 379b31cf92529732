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
    }

    static func validate(user: String) throws {
        guard !user.isEmpty, user.utf8.count <= 128, user != "anonymous" else { throw RPCError.badRequest("questions need a signed-in user") }
    }
}
