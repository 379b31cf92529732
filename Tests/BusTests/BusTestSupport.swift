import Foundation
import SwitchboardProtocol
import Synchronization

/// A fresh ipc:// endpoint in its own temporary directory.
func temporaryEndpoint(_ name: String = "bus") -> String {
    let directory = "/tmp/sbbus-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return "ipc://\(directory)/\(name).sock"
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(3), _ condition: () async -> Bool) async -> Bool {
    let end = ContinuousClock.now + timeout
    while ContinuousClock.now < end {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

enum Echo: RPCMethod {
    struct Params: Codable, Sendable { var value: Int; var delayMs: Int = 0 }
    struct Result: Codable, Sendable { var doubled: Int }
    static let name = "test.echo"
}

enum Fail: RPCMethod {
    typealias Params = NoParams
    typealias Result = NoParams
    static let name = "test.fail"
}

/// Records what an `EventSubscriber` delivers.
final class Inbox: Sendable {
    private let items = MutexBox<[(String, String)]>([])

    func append(_ topic: String, _ payload: [UInt8]) {
        items.mutate { $0.append((topic, String(decoding: payload, as: UTF8.self))) }
    }

    var all: [(String, String)] { items.read() }
}

final class MutexBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func mutate(_ body: (inout Value) -> Void) { mutex.withLock { body(&$0) } }
    func read() -> Value { mutex.withLock { $0 } }
}
