import Foundation
import SwitchboardProtocol

/// `ask_question` {question}: a signed-in user's question (3 characters to 1000 bytes, at most 5 a minute by default from
/// auth's `question` bucket) becomes a task; `question_accepted` {task_id} comes back at once, and `task_update` and
/// `answer` reach all the user's connections when a worker has answered.
struct AskQuestionHandler: MessageHandler {
    typealias Payload = AskQuestionRequest
    let replies: Set<String> = ["question_accepted"]

    struct Accepted: Encodable {
        let requestID: String
        let taskID: String
        let status: String

        enum CodingKeys: String, CodingKey {
            case status
            case requestID = "request_id"
            case taskID = "task_id"
        }
    }

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        let request = try payload(of: message).get()
        let question = request.question.trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = InputLimits.questionProblem(question) { throw .invalid(problem, message) }
        guard let principal = connection.principal else { throw .signInNeeded("ask_question", message) }
        let decision: PolicyDecision
        let result: QuestionAsk.Result
        do {
            decision = try await context.backends.client(.auth).call(
                RateCheck.self, .init(subject: "user:\(principal.user)", kind: "question"), timeout: .seconds(2))
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
        guard decision.allowed else {
            throw ProtocolFailure(
                code: .rateLimited,
                message: decision.message ?? "too many questions; slow down",
                requestID: message.id,
                details: decision.retryAfterSeconds.map { ["retry_after_seconds": String($0)] }
            )
        }
        do {
            result = try await context.backends.client(.scheduler).call(
                QuestionAsk.self, .init(user: principal.user, question: question, session: connection.id), timeout: .seconds(5))
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
        connection.send(
            ReplyFrame.make("question_accepted", to: message, Accepted(requestID: message.id ?? "", taskID: result.taskID, status: result.status)))
    }
}
