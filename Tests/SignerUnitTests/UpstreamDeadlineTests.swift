import NIOCore
import Testing

@testable import Signer

@Suite("UpstreamDeadline: the waits before the e-port reply share the request's one limit")
struct UpstreamDeadlineTests {
    /// A wait that never ends on its own (a slot nobody frees): only its cancellation completes it.
    private func waitForever(_ slot: OneShot<Int>) async throws(UpstreamError) -> Int {
        try await slot.wait { slot.complete(.failure(.closed("cancelled"))) }.get()
    }

    @Test func aWaitPastTheTimeLeftFailsWithTheWholeLimit() async {
        // Started 9.9 s ago with a 10 s limit: the wait gets the 100 ms left, and the error names the 10 s. The upper
        // bound is far from both, so a loaded machine cannot fail it: a wait given the whole limit would take 10 s.
        let deadline = UpstreamDeadline(.seconds(10), now: .now() - .milliseconds(9_900))
        let start = ContinuousClock.now
        let outcome = await Task { () -> UpstreamError? in
            do throws(UpstreamError) {
                _ = try await deadline.wait { () async throws(UpstreamError) -> Int in try await waitForever(OneShot<Int>()) }
                return nil
            } catch {
                return error
            }
        }.value
        let elapsed = start.duration(to: .now)
        #expect(outcome == .timeout(.seconds(10)))
        #expect(elapsed >= .milliseconds(90) && elapsed < .seconds(5), "\(elapsed)")
        #expect(deadline.hasPassed)
    }

    @Test func aDeadlineAlreadyPassedDoesNotWaitAtAll() async {
        let deadline = UpstreamDeadline(.milliseconds(50), now: .now() - .milliseconds(60))
        var ran = false
        do throws(UpstreamError) {
            _ = try await deadline.wait { () async throws(UpstreamError) -> Int in
                ran = true
                return 1
            }
            Issue.record("a passed deadline let the wait run")
        } catch {
            #expect(error == .timeout(.milliseconds(50)))
        }
        #expect(!ran)
    }

    @Test func anAnswerOrAnErrorInTimeIsTheWaitsOwn() async {
        let deadline = UpstreamDeadline(.seconds(5))
        let slot = OneShot<Int>()
        slot.complete(.success(7))
        let value = try? await deadline.wait { () async throws(UpstreamError) -> Int in try await waitForever(slot) }
        #expect(value == 7)
        do throws(UpstreamError) {
            _ = try await deadline.wait { () async throws(UpstreamError) -> Int in throw .handshake("no open frame") }
            Issue.record("the error was lost")
        } catch {
            #expect(error == .handshake("no open frame"))
        }
        #expect(!deadline.hasPassed && !Task.isCancelled)
    }

    @Test func theInstantIsTheLimitFromTheStart() {
        let start = NIODeadline.now()
        let deadline = UpstreamDeadline(.milliseconds(1500), now: start)
        #expect(deadline.instant - start == .milliseconds(1500))
        #expect(deadline.limit == .milliseconds(1500))
    }
}
