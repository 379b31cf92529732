import Foundation
import SwitchboardProtocol

/// The frames a finished task sends to its asker on `user/<user>`: `task_update` (the new status) and `answer`.
enum QuestionFrames {
    static func taskUpdate(taskID: String, status: String) -> [UInt8] {
        let now = Date().timeIntervalSince1970
        var writer = JSONWriter()
        writer.raw(#"{"task_id":"#)
        writer.string(taskID)
        writer.raw(#","status":"#)
        writer.string(status)
        writer.raw(#","updated_at":"#)
        writer.integer(Int(now * 1000))
        writer.raw("}")
        return ServerFrame.envelope("task_update", id: "task_\(taskID)_\(status)", timestamp: Int64(now), dataJSON: writer.bytes)
    }

    static func answer(taskID: String, question: String, answer: String, score: Double, source: String) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + answer.utf8.count + question.utf8.count)
        writer.raw(#"{"task_id":"#)
        writer.string(taskID)
        writer.raw(#","question":"#)
        writer.string(question)
        writer.raw(#","answer":"#)
        writer.string(answer)
        writer.raw(#","score":"#)
        writer.raw(Array(scoreText(score).utf8))
        writer.raw(#","source":"#)
        writer.string(source)
        writer.raw("}")
        return ServerFrame.envelope("answer", id: "answer_\(taskID)", dataJSON: writer.bytes)
    }

    /// A score in 0…1 with three decimals, as a JSON number.
    static func scoreText(_ score: Double) -> String {
        let clamped = score.isFinite ? min(1, max(0, score)) : 0
        let thousandths = Int((clamped * 1000).rounded())
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
