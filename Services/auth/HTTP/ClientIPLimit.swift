import ServiceKit

extension AuthComponents {
    /// Takes one token of the client IP's `kind` bucket; 429 with `Retry-After` when it is empty. No bucket (its rate set
    /// to 0) means no limit. Shared by the native and the VoltageEMS account routes, so both spend the same budget.
    func limitPerIP(_ call: HTTPCall, kind: String, what: String) async throws {
        guard rates.buckets[kind] != nil else { return }
        let decision = try await rates.check(subject: "ip:\(IPAddress.key(call.request.clientIP))", kind: kind)
        if !decision.allowed {
            let retry = decision.retryAfterSeconds ?? 60
            throw HTTPError(429, "rate_limited", "too many \(what) from this address; retry in \(retry) s", headers: ["retry-after": String(retry)])
        }
    }
}
