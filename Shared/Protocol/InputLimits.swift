/// Size bounds on client text that the services store, shared by the edge (which answers early) and the service that owns
/// the data (which enforces them, whoever calls it).
///
/// Counted in UTF-8 bytes, not characters: what costs memory, Redis space and frame size is bytes, and one character can
/// be many of them (a CJK character is 3, an emoji with modifiers can be 25 or more).
public enum InputLimits {
    /// A chat message's `content`: 2000 bytes (2000 ASCII characters, 666 CJK ones).
    public static let chatContentBytes = 2000
    /// A client frame `id` that is stored with what it asked for (a chat message's `client_id`, a control `command_id`).
    public static let clientIDBytes = 64
    /// A question, after trimming: at least `QuestionQueue.minLength` characters, at most this many bytes.
    public static let questionBytes = 1000
    /// A control command's `reason`, written into the command for the field side.
    public static let controlReasonBytes = 256
    /// A control command's `command_type`, written into the command for the field side.
    public static let controlCommandTypeBytes = 64

    /// nil when a chat `content` may be posted: not blank, at most `chatContentBytes`. Edge and scheduler ask the same.
    public static func chatContentProblem(_ content: String) -> String? {
        if content.allSatisfy(\.isWhitespace) { return "content must not be empty or blank" }
        return problem("content", content, maxBytes: chatContentBytes)
    }

    /// nil when a trimmed question may be asked: at least `QuestionQueue.minLength` characters, at most `questionBytes`.
    public static func questionProblem(_ question: String) -> String? {
        guard question.count >= QuestionQueue.minLength else {
            return "question must be at least \(QuestionQueue.minLength) characters and at most \(questionBytes) bytes"
        }
        return problem("question", question, maxBytes: questionBytes)
    }

    /// nil when `text` fits `maxBytes`, else a message naming `field` and both sizes.
    public static func problem(_ field: String, _ text: String, maxBytes: Int) -> String? {
        let bytes = text.utf8.count
        guard bytes > maxBytes else { return nil }
        return "\(field) is \(bytes) bytes; at most \(maxBytes) bytes (UTF-8) are allowed"
    }
}
