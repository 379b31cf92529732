import SwitchboardProtocol

/// `get_suggestions` {prefix, limit?}: questions that start with `prefix` (case and spacing ignored) from the caller's
/// own earlier questions, most asked first, then from the operator-curated public list; at most 10. Signed-in users
/// only (anonymous: `FORBIDDEN`), and never anyone else's questions.
struct GetSuggestionsHandler: MessageHandler {
    typealias Payload = GetSuggestionsRequest
    let replies: Set<String> = ["suggestions"]

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

    func handle(_ message: ClientMessage, on connection: Connection, context: EdgeContext) async throws(ProtocolFailure) {
        guard let principal = connection.principal else {
            throw ProtocolFailure(code: .forbidden, message: "suggestions need a signed-in user", requestID: message.id)
        }
        let request = try payload(of: message).get()
        guard request.prefix.count <= Self.maxPrefixLength else {
            throw .invalid("prefix must be at most \(Self.maxPrefixLength) characters", message)
        }
        let limit = request.limit ?? 10
        guard (1...10).contains(limit) else { throw .invalid("limit must be 1 to 10", message) }
        let result: QuestionSuggest.Result
        do {
            result = try await context.backends.client(.scheduler).call(
                QuestionSuggest.self, .init(prefix: request.prefix, limit: limit, user: principal.user), timeout: .seconds(5))
        } catch {
            throw error.protocolFailure(requestID: message.id)
        }
        connection.send(
            ReplyFrame.make(
                "suggestions", to: message, Suggestions(requestID: message.id ?? "", prefix: request.prefix, suggestions: result.suggestions))
        )
    }
}
