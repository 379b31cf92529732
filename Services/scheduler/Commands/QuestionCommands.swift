import Bus
import ClientFrames
import Foundation
import SwitchboardProtocol

/// `ask_question` {question}: a signed-in user's question (3 characters to 1000 bytes, at most 5 a minute by default from
/// auth's `question` bucket) becomes a task; `question_accepted` {task_id} comes back at once, and `task_update` and
/// `answer` reach all the user's connections when a worker has answered.
struct AskQuestionCommand: CommandHandler {
    typealias Payload = AskQuestionRequest
    let store: QuestionStore
    let auth: RPCClient

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

    func handle(_ request: AskQuestionRequest, _ command: inout Command) async throws {
        let question = request.question.trimmingCharacters(in: .whitespacesAndNewlines)
        if let problem = InputLimits.questionProblem(question) { throw command.invalid(problem) }
        guard let principal = command.principal else { throw command.signInNeeded("ask_question") }
        try QuestionService.validate(user: principal.user)
        let decision = try await auth.callConnected(RateCheck.self, .init(subject: "user:\(principal.user)", kind: "question"), timeout: .seconds(2))
        guard decision.allowed else {
            throw ProtocolFailure(
                code: .rateLimited, message: decision.message ?? "too many questions; slow down", requestID: command.id,
                details: decision.retryAfterSeconds.map { ["retry_after_seconds": String($0)] })
        }
        let taskID = try await store.ask(user: principal.user, question: question, session: command.request.connection)
        command.respond("question_accepted", Accepted(requestID: command.id ?? "", taskID: taskID, status: "processing"))
    }
}

/// `get_suggestions` {prefix, limit?}: questions that start with `prefix` (case and spacing ignored) from the caller's
/// own earlier questions, most asked first, then from the operator-curated public list; at most 10. Signed-in users
/// only (anonymous: `FORBIDDEN`), and never anyone else's questions.
struct GetSuggestionsCommand: CommandHandler {
    typealias Payload = GetSuggestionsRequest
    let store: QuestionStore

    static let maxPrefixLength = 200

    struct Suggestions: Encodable {
        let requestID: String
        let prefix: String
        let suggestions: [QuestionSuggest.Suggestion]

        enum CodingKeys: String, CodingKey {
            case prefix, suggestions
            case requestID = "request_id"
        }
    }

    /// The checked limit (default 10), or why the request is refused.
    static func limit(_ request: GetSuggestionsRequest) -> Result<Int, Refusal> {
        guard request.prefix.count <= maxPrefixLength else { return .failure(Refusal("prefix must be at most \(maxPrefixLength) characters")) }
        let limit = request.limit ?? 10
        guard (1...QuestionService.maxSuggestions).contains(limit) else { return .failure(Refusal("limit must be 1 to 10")) }
        return .success(limit)
    }

    func run(_ command: inout Command) async throws {
        // Sign-in first: an anonymous caller learns nothing about the payload rules either.
        guard command.principal != nil else {
            throw ProtocolFailure(code: .forbidden, message: "suggestions need a signed-in user", requestID: command.id)
        }
        let payload = try command.payload(GetSuggestionsRequest.self)
        try await handle(payload, &command)
    }

    func handle(_ request: GetSuggestionsRequest, _ command: inout Command) async throws {
        guard let principal = command.principal else {
            throw ProtocolFailure(code: .forbidden, message: "suggestions need a signed-in user", requestID: command.id)
        }
        let limit: Int
        switch Self.limit(request) {
        case .success(let value): limit = value
        case .failure(let problem): throw command.invalid(problem.reason)
        }
        try QuestionService.validate(user: principal.user)
        let suggestions = try await SuggestionSources(redis: store.redis).suggest(user: principal.user, prefix: request.prefix, limit: limit)
        command.respond("suggestions", Suggestions(requestID: command.id ?? "", prefix: request.prefix, suggestions: suggestions))
    }
}
