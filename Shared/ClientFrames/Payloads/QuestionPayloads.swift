/// `ask_question` {question}.
public struct AskQuestionRequest: ClientPayload {
    public static let messageType = "ask_question"
    public let question: String
}

/// `get_suggestions` {prefix, limit?}.
public struct GetSuggestionsRequest: ClientPayload {
    public static let messageType = "get_suggestions"
    public let prefix: String
    public let limit: Int?
}
