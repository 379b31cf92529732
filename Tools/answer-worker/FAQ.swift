import Foundation

/// The questions the worker can answer: a JSON array of `{"question": "...", "answers": ["...", ...]}` (also
/// `"questions": [...]` for several phrasings of one entry). The best match's first answer is given.
struct FAQ: Sendable {
    struct Entry: Sendable, Decodable {
        let questions: [String]
        let answers: [String]

        enum CodingKeys: String, CodingKey {
            case question, questions, answers, answer
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            var questions = try container.decodeIfPresent([String].self, forKey: .questions) ?? []
            if let question = try container.decodeIfPresent(String.self, forKey: .question) { questions.insert(question, at: 0) }
            var answers = try container.decodeIfPresent([String].self, forKey: .answers) ?? []
            if let answer = try container.decodeIfPresent(String.self, forKey: .answer) { answers.insert(answer, at: 0) }
            guard !questions.isEmpty, !answers.isEmpty else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an entry needs a question and an answer"))
            }
            self.questions = questions
            self.answers = answers
        }
    }

    struct Match: Sendable {
        let answer: String
        let score: Double
        /// `faq:<the matched question>`, or `none` when nothing matched well enough.
        let source: String
    }

    private let entries: [(phrasings: [Similarity.Vector], questions: [String], answers: [String])]

    init(json: Data) throws {
        entries = try JSONDecoder().decode([Entry].self, from: json).map { entry in
            (entry.questions.map(Similarity.vector), entry.questions, entry.answers)
        }
    }

    static func load(path: String?) throws -> FAQ {
        guard let path else { return try FAQ(json: Data(DefaultFAQ.json.utf8)) }
        return try FAQ(json: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    var count: Int { entries.count }

    /// The best entry for `question`; below `threshold` the worker says it does not know, with the score it had.
    func answer(_ question: String, threshold: Double) -> Match {
        let asked = Similarity.vector(question)
        var best: (score: Double, entry: Int, phrasing: Int)?
        for (index, entry) in entries.enumerated() {
            for (phrasing, vector) in entry.phrasings.enumerated() {
                let score = Similarity.cosine(asked, vector)
                if score > (best?.score ?? 0) { best = (score, index, phrasing) }
            }
        }
        guard let best, best.score >= threshold else {
            let score = best?.score ?? 0
            return Match(
                answer: "I don't know yet: nothing in my FAQ matches this question well enough (best match \(Int((score * 100).rounded())) %).",
                score: score, source: "none")
        }
        let entry = entries[best.entry]
        return Match(answer: entry.answers[0], score: best.score, source: "faq:\(entry.questions[best.phrasing])")
    }
}
