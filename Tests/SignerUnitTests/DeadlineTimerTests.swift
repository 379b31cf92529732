import Testing

@testable import Signer

@Suite("DeadlineTimer: a request's deadline cancels its wait, and only that")
struct DeadlineTimerTests {
    @Test func aPassedDeadlineCancelsTheWaitAndAnAnswerInTimeIsKept() async throws {
        let start = ContinuousClock.now
        let timedOut = await Task {
            do throws(UpstreamError) {
                return try await DeadlineTimer.run(.milliseconds(50)) { () async throws(UpstreamError) -> String in
                    try? await Task.sleep(for: .seconds(5))
                    throw .closed("cancelled")
                }
            } catch {
                return "\(error)"
            }
        }.value
        let elapsed = start.duration(to: .now)
        #expect(timedOut == UpstreamError.timeout(.milliseconds(50)).description)
        #expect(elapsed >= .milliseconds(50) && elapsed < .seconds(2), "\(elapsed)")

        let kept = await Task {
            try? await DeadlineTimer.run(.seconds(5)) { () async throws(UpstreamError) -> String in "answer" }
        }.value
        #expect(kept == "answer")
    }

    @Test func manyConcurrentDeadlinesEachFireOnce() async {
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask {
                    do throws(UpstreamError) {
                        _ = try await DeadlineTimer.run(.milliseconds(index % 2 == 0 ? 20 : 5000)) { () async throws(UpstreamError) -> Int in
                            if index % 2 == 0 {
                                try? await Task.sleep(for: .seconds(5))
                                throw .closed("cancelled")
                            }
                            return index
                        }
                        return index % 2 == 1
                    } catch {
                        return index % 2 == 0 && error == .timeout(.milliseconds(20))
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 200 && results.allSatisfy { $0 })
    }
}
