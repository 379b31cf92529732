import Foundation
import Redis
import TestSupport
import Testing

/// Runs `body` and fails (throws) if it does not finish within `limit`, so no test can hang.
func withTimeout<T: Sendable>(
    _ limit: Duration, _ what: String = "operation", _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TimeoutError(description: "\(what) did not finish within \(limit)")
        }
        group.cancelAll()
        return value
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    let description: String
}

/// Retries `body` until it returns true or `limit` passes; returns whether it succeeded.
func eventually(within limit: Duration, every interval: Duration = .milliseconds(50), _ body: () async -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    while clock.now < deadline {
        if await body() { return true }
        try? await Task.sleep(for: interval)
    }
    return false
}

func makeClient(_ server: RedisServer, commandTimeout: Duration = .seconds(5)) throws -> RedisClient {
    var configuration = try RedisConfiguration(url: server.url)
    configuration.commandTimeout = commandTimeout
    return RedisClient(configuration: configuration)
}

extension RedisError {
    var isUnavailable: Bool {
        if case .unavailable = self { return true }
        return false
    }

    var isTimeoutOrUnavailable: Bool {
        switch self {
        case .unavailable, .timeout: return true
        default: return false
        }
    }
}
