import Foundation
import Redis
import ServiceKit
import SwitchboardProtocol

/// `scheduler.subscribe`: which requested channels exist in Redis, the merged group, and its current `data_batch`.
///
/// The existence check is one pipelined round trip (one `EXISTS` per channel, all written before any reply is read),
/// and both channel bounds are enforced here, whoever calls: a request over either changes nothing.
struct SubscribeHandler: Sendable {
    let redis: RedisClient
    let limits: SubscriptionLimits

    func handle(_ params: TelemetrySubscribe.Params) async throws -> TelemetrySubscribe.Result {
        guard TelemetryGroup.isValidSource(params.source) else { throw RPCError.badRequest("invalid source \(params.source)") }
        guard params.requested.count <= limits.perSubscribe else {
            throw RPCError.badRequest(
                "data.channels lists \(params.requested.count) channels; at most \(limits.perSubscribe) per subscribe "
                    + "(\(SubscriptionLimits.perSubscribeVariable))")
        }
        guard Set(params.existing).count <= limits.perConnection else {
            throw RPCError.badRequest("existing holds more than \(limits.perConnection) channels (\(SubscriptionLimits.perConnectionVariable))")
        }
        var failed: [ChannelReference] = []
        var candidates: [Int] = []
        for reference in params.requested {
            switch reference {
            case .id(let channel) where channel > 0: candidates.append(channel)
            default: failed.append(reference)
            }
        }
        // A channel exists when any of the requested data types has a hash for it.
        let types = Array(Set(params.types)).sorted()
        let unique = Array(Set(candidates)).sorted()
        var present = Set<Int>()
        if !unique.isEmpty && !types.isEmpty {
            let commands = unique.map { channel in ["EXISTS"] + types.map { "\(params.source):\(channel):\($0)" } }
            let replies = try await redis.pipeline(commands)
            for (channel, reply) in zip(unique, replies) where (reply.int ?? 0) > 0 { present.insert(channel) }
        }
        var subscribed: [Int] = []
        for channel in candidates where !subscribed.contains(channel) {
            if present.contains(channel) { subscribed.append(channel) } else { failed.append(.id(channel)) }
        }
        let merged = Set(params.existing).union(subscribed)
        guard merged.count <= limits.perConnection else {
            throw RPCError.badRequest(
                "data.channels would make the subscription \(merged.count) channels; at most \(limits.perConnection) per connection "
                    + "(\(SubscriptionLimits.perConnectionVariable)); nothing was changed")
        }
        guard let group = TelemetryGroup(intervalMs: params.intervalMs, channels: merged, types: types, source: params.source) else {
            return .init(subscribed: subscribed, failed: failed, topic: nil, channels: [], frame: nil)
        }
        let values = try await TelemetryFrames.read(group.keys, from: redis)
        let frame = String(decoding: TelemetryFrames.dataBatch(for: group, values: values), as: UTF8.self)
        return .init(subscribed: subscribed, failed: failed, topic: group.topic, channels: group.channels, frame: frame)
    }
}
