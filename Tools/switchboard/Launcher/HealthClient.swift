import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Reads the edge's `/health` over HTTP.
enum HealthClient {
    struct Answer: Sendable {
        let status: Int
        let body: String
    }

    static func fetch(_ url: URL, timeout: TimeInterval = 3) async -> Answer? {
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        guard let (data, response) = try? await URLSession.shared.data(for: request),
            let http = response as? HTTPURLResponse
        else { return nil }
        return Answer(status: http.statusCode, body: String(decoding: data, as: UTF8.self))
    }

    /// Polls until `/health` answers 200 or `timeout` passes; returns the last answer.
    static func waitUntilHealthy(_ url: URL, timeout: Duration) async -> Answer? {
        let end = ContinuousClock.now + timeout
        var last: Answer?
        while ContinuousClock.now < end {
            last = await fetch(url, timeout: 2)
            if last?.status == 200 { return last }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return last
    }
}
