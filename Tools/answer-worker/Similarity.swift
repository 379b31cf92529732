/// How alike two questions are: cosine similarity of their word counts, without common function words.
///
/// Words are runs of letters and digits, lower-cased; CJK ideographs count one each, since those languages do not
/// separate words with spaces. Simple and explainable: the score says how much of the wording two questions share.
enum Similarity {
    static let stopWords: Set<String> = [
        "a", "an", "the", "is", "are", "was", "be", "to", "of", "in", "on", "for", "and", "or", "it", "i", "my", "me", "do",
        "does", "can", "could", "how", "what", "which", "with", "this", "that", "you", "your", "we", "our", "should", "would",
        "at", "by", "from", "as", "if", "there", "any", "some", "when", "where", "why", "who", "will", "please", "about",
    ]

    typealias Vector = [String: Double]

    static func tokens(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        func flush() {
            if !current.isEmpty, !stopWords.contains(current) { words.append(current) }
            current = ""
        }
        for scalar in text.lowercased().unicodeScalars {
            if isIdeograph(scalar) {
                flush()
                words.append(String(scalar))
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                current.unicodeScalars.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        return words.map(stem)
    }

    /// Folds the commonest English endings so "subscribe", "subscribed" and "subscribing" meet.
    static func stem(_ word: String) -> String {
        guard word.count > 4 else { return word }
        for suffix in ["ing", "ed", "es", "s"] where word.hasSuffix(suffix) && word.count - suffix.count >= 3 {
            return String(word.dropLast(suffix.count))
        }
        return word
    }

    static func vector(_ text: String) -> Vector {
        var counts: Vector = [:]
        for token in tokens(text) { counts[token, default: 0] += 1 }
        return counts
    }

    static func cosine(_ a: Vector, _ b: Vector) -> Double {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var dot = 0.0
        for (token, count) in a { dot += count * (b[token] ?? 0) }
        let norms = (a.values.reduce(0) { $0 + $1 * $1 }).squareRoot() * (b.values.reduce(0) { $0 + $1 * $1 }).squareRoot()
        return norms > 0 ? dot / norms : 0
    }

    private static func isIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        (0x4E00...0x9FFF).contains(scalar.value) || (0x3400...0x4DBF).contains(scalar.value) || (0x3040...0x30FF).contains(scalar.value)
            || (0xAC00...0xD7AF).contains(scalar.value)
    }
}
