import Synchronization

/// Runs async jobs one after another per key, in the order they were submitted, and jobs of different keys concurrently.
///
/// RPC handlers run concurrently, so two chat messages to one room could be published in the opposite order of their
/// stream ids. Chaining each room's posts keeps publish order equal to history order; receivers then never see a gap
/// they have to repair.
final class KeyedSerialQueue: Sendable {
    private let tails = Mutex<[String: Task<Void, Never>]>([:])

    func run<Value: Sendable>(_ key: String, _ job: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let (work, tail) = tails.withLock { tails -> (Task<Result<Value, any Error>, Never>, Task<Void, Never>) in
            let previous = tails[key]
            let work = Task<Result<Value, any Error>, Never> {
                await previous?.value
                do {
                    return .success(try await job())
                } catch {
                    return .failure(error)
                }
            }
            let tail = Task<Void, Never> { _ = await work.value }
            tails[key] = tail
            return (work, tail)
        }
        let result = await work.value
        tails.withLock { tails in
            if tails[key] == tail { tails.removeValue(forKey: key) }
        }
        return try result.get()
    }

    /// Keys with queued or running work (for health details).
    var activeKeys: Int { tails.withLock { $0.count } }
}
