/// Questions as tasks: the edge validates and rate-limits, the scheduler stores the task and queues it on the
/// `questions` stream, an answer worker answers and reports back through `scheduler.question.complete`.
public enum QuestionQueue {
    /// The stream answer workers read.
    public static let stream = "questions"
    /// Their consumer group: each question goes to one worker, and stays pending until that worker acknowledges it.
    public static let group = "answer-workers"
    /// In characters; the upper bound is in bytes (`InputLimits.questionBytes`).
    public static let minLength = 3
    /// In bytes, the same as `InputLimits.questionBytes`; also bounds a suggestion `prefix`.
    public static let maxLength = InputLimits.questionBytes

    /// The form questions are counted and matched in for suggestions: lower case, single spaces, trimmed.
    public static func normalise(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}

/// `scheduler.question.complete`: a worker's answer. The scheduler marks the task done, records the answer in the user's
/// history and sends `task_update` and `answer` to `user/<user>`; a second completion of the same task changes nothing
/// (`published` false), so a re-delivered task is harmless.
public enum QuestionComplete: RPCMethod {
    public struct Params: Codable, Sendable {
        public var taskID: String
        public var user: String
        public var answer: String
        public var score: Double
        public var source: String
        public var worker: String

        public init(taskID: String, user: String, answer: String, score: Double, source: String, worker: String) {
            self.taskID = taskID
            self.user = user
            self.answer = answer
            self.score = score
            self.source = source
            self.worker = worker
        }
    }

    public struct Result: Codable, Sendable {
        public var published: Bool
        public init(published: Bool) { self.published = published }
    }

    public static let name = "scheduler.question.complete"
}

/// One entry of a user's question history: a question or the answer to one.
public struct QuestionEntry: Codable, Sendable, Equatable {
    public var id: String
    /// `question` or `answer`.
    public var kind: String
    public var taskID: String
    public var text: String
    public var score: Double?
    public var source: String?
    /// Unix milliseconds.
    public var time: Int64

    public init(id: String, kind: String, taskID: String, text: String, score: Double?, source: String?, time: Int64) {
        self.id = id
        self.kind = kind
        self.taskID = taskID
        self.text = text
        self.score = score
        self.source = source
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, text, score, source, time
        case taskID = "task_id"
    }
}

/// `scheduler.question.suggest`: questions starting with `prefix` (normalised) from `user`'s own earlier questions (most
/// asked first), then from the operator-curated public list. Never other users' questions; `user` must be signed in.
public enum QuestionSuggest: RPCMethod {
    public struct Params: Codable, Sendable {
        public var prefix: String
        public var limit: Int
        public var user: String

        public init(prefix: String, limit: Int, user: String) {
            self.prefix = prefix
            self.limit = limit
            self.user = user
        }
    }

    public struct Suggestion: Codable, Sendable, Equatable {
        public var text: String
        /// How often the caller asked it (0 for public suggestions).
        public var count: Int
        /// `own` or `public`.
        public var source: String?

        public init(text: String, count: Int, source: String? = nil) {
            self.text = text
            self.count = count
            self.source = source
        }
    }

    public struct Result: Codable, Sendable {
        public var suggestions: [Suggestion]
        public init(suggestions: [Suggestion]) { self.suggestions = suggestions }
    }

    public static let name = "scheduler.question.suggest"
}
