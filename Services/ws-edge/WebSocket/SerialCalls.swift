/// Runs one connection's calls to services one at a time, in the order they were made: each call sends the state the
/// previous reply left, so a room ACL eviction, a frame and the disconnect of one connection never race on it.
actor SerialCalls {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<Value: Sendable>(_ body: @Sendable () async -> Value) async -> Value {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        let value = await body()
        // Hand over to the next caller directly, so nobody can slip in between.
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        return value
    }
}
