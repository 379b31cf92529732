import ClientFrames
import ServiceKit
import SwitchboardProtocol

/// `subscribe`: validates the request, finds which channels exist, moves the connection to the group of its
/// subscription, and answers `subscribe_ack` then the group's current `data_batch`.
///
/// A connection holds several subscriptions at once, one per source, interval and data types (the VoltageEMS
/// dashboard sends one per page component — comsrv, inst and rule — on one socket): a subscribe with the same three
/// adds channels to that one, anything else adds a subscription beside the others. `source: "rule"` watches rules.
struct SubscribeCommand: CommandHandler {
    typealias Payload = SubscribeRequest
    let groups: SubscribeHandler
    var sources = TelemetrySources.standard
    /// Whether anonymous connections may read telemetry (`SWITCHBOARD_ANONYMOUS_TELEMETRY`).
    var anonymous = AnonymousAccess()

    private struct Ack: Encodable {
        let requestID: String
        let source: String
        let subscribed: [Int]
        let failed: [ChannelReference]
        let total: Int
        let interval: Int
        let dataTypes: [String]?

        enum CodingKeys: String, CodingKey {
            case source, subscribed, failed, total, interval
            case requestID = "request_id"
            case dataTypes = "data_types"
        }
    }

    /// The checked request: defaults applied, or the reason it is refused.
    struct Checked: Equatable {
        let interval: Int
        /// Empty for `rule`.
        let types: [String]
        let source: String
    }

    static func check(_ request: SubscribeRequest, sources: TelemetrySources = .standard, perSubscribe: Int) -> Result<Checked, Refusal> {
        let interval = request.interval ?? 1000
        guard TelemetryGroup.intervalRange.contains(interval) else { return .failure(Refusal("interval must be between 100 and 3600000 ms")) }
        let source = request.source ?? TelemetryGroup.defaultSource
        guard !request.channels.isEmpty, request.channels.count <= perSubscribe else {
            return .failure(
                Refusal(
                    "data.channels must list 1 to \(perSubscribe) ids (got \(request.channels.count); "
                        + "\(SubscriptionLimits.perSubscribeVariable))"))
        }
        if source == TelemetrySources.rule { return .success(Checked(interval: interval, types: [], source: source)) }
        guard let known = sources.types[source] else {
            return .failure(Refusal("source must be one of \(sources.names) (\(TelemetrySources.variable))"))
        }
        let types = Array(Set(request.dataTypes ?? known)).sorted()
        guard !types.isEmpty, types.allSatisfy(known.contains) else {
            return .failure(Refusal("data_types of \(source) must be some of \(known.joined(separator: ", "))"))
        }
        return .success(Checked(interval: interval, types: types, source: source))
    }

    /// Which of the connection's subscriptions a checked request adds to: same source, interval and types.
    static func slot(_ checked: Checked, in subscriptions: [ConnectionState.Telemetry]) -> Int? {
        subscriptions.firstIndex { $0.source == checked.source && $0.intervalMs == checked.interval && $0.types == checked.types }
    }

    func handle(_ request: SubscribeRequest, _ command: inout Command) async throws {
        if command.principal == nil, !anonymous.telemetry {
            throw ProtocolFailure(
                code: .unauthorized, message: AnonymousAccess.refusal("telemetry", setting: "SWITCHBOARD_ANONYMOUS_TELEMETRY"),
                requestID: command.id)
        }
        let checked: Checked
        switch Self.check(request, sources: sources, perSubscribe: groups.limits.perSubscribe) {
        case .success(let value): checked = value
        case .failure(let problem): throw command.invalid(problem.reason)
        }
        if checked.source == TelemetrySources.rule {
            try await watchRules(request.channels, interval: checked.interval, &command)
            return
        }
        var subscriptions = command.state.telemetry
        let slot = Self.slot(checked, in: subscriptions)
        let previous = slot.map { subscriptions[$0] }
        let result = try await groups.handle(
            .init(
                source: checked.source, intervalMs: checked.interval, types: checked.types, requested: request.channels,
                existing: previous?.channels ?? []))
        let heldElsewhere = command.state.heldCount - (previous?.channels.count ?? 0)
        guard heldElsewhere + result.channels.count <= groups.limits.perConnection else {
            throw command.invalid(
                "data.channels would make the connection hold \(heldElsewhere + result.channels.count) channels and rules; at most "
                    + "\(groups.limits.perConnection) (\(SubscriptionLimits.perConnectionVariable)); nothing was changed")
        }
        if let topic = result.topic {
            let updated = ConnectionState.Telemetry(
                source: checked.source, intervalMs: checked.interval, channels: result.channels, types: checked.types, topic: topic)
            if let slot { subscriptions[slot] = updated } else { subscriptions.append(updated) }
            if let old = previous?.topic, old != topic { command.reply.leave.append(old) }
            if previous?.topic != topic { command.reply.join.append(topic) }
            command.state.telemetry = subscriptions
        }
        command.send(
            ServerFrame.make(
                "subscribe_ack", id: "\(command.id ?? ServerFrame.uniqueID("sub"))_ack",
                data: Ack(
                    requestID: command.id ?? "", source: checked.source, subscribed: result.subscribed, failed: result.failed,
                    total: result.subscribed.count, interval: checked.interval, dataTypes: checked.types)))
        if let frame = result.frame { command.reply.frames.append(frame) }
    }

    /// `source: "rule"`: each valid id is watched at the interval (a rule that has not run yet is accepted: its state
    /// appears with its first execution); a rule already watched moves to the new interval.
    private func watchRules(_ requested: [ChannelReference], interval: Int, _ command: inout Command) async throws {
        var failed: [ChannelReference] = []
        var wanted: [RuleWatch] = []
        for reference in requested {
            guard case .id(let rule) = reference, let watch = RuleWatch(rule: rule, intervalMs: interval) else {
                failed.append(reference)
                continue
            }
            if !wanted.contains(watch) { wanted.append(watch) }
        }
        var watched = command.state.watchedRules
        let replaced = watched.filter { old in wanted.contains { $0.rule == old.rule } }
        watched.removeAll { old in wanted.contains { $0.rule == old.rule } }
        let total = command.state.heldCount - replaced.count + wanted.count
        guard total <= groups.limits.perConnection else {
            throw command.invalid(
                "data.channels would make the connection hold \(total) channels and rules; at most \(groups.limits.perConnection) "
                    + "(\(SubscriptionLimits.perConnectionVariable)); nothing was changed")
        }
        command.reply.leave += replaced.filter { !wanted.contains($0) }.map(\.topic)
        command.reply.join += wanted.filter { !replaced.contains($0) }.map(\.topic)
        command.state.watchedRules = watched + wanted
        command.send(
            ServerFrame.make(
                "subscribe_ack", id: "\(command.id ?? ServerFrame.uniqueID("sub"))_ack",
                data: Ack(
                    requestID: command.id ?? "", source: TelemetrySources.rule, subscribed: wanted.map(\.rule), failed: failed,
                    total: wanted.count, interval: interval, dataTypes: nil)))
        command.reply.frames += try await RuleFrames.read(wanted, from: groups.redis)
    }
}

/// `unsubscribe` {channels?, source?}: drops the named channels (all, when `channels` is absent) from the connection's
/// subscriptions of `source` (every source, when absent; `rule`: the watched rules), leaving the others as they are.
struct UnsubscribeCommand: CommandHandler {
    typealias Payload = UnsubscribeRequest

    /// `failed` stays empty, as the old gateway sent it: the dashboard warns about every id in it, and an id that was not
    /// subscribed (a channel refused at subscribe time) is not a failure to unsubscribe; those are in `not_subscribed`.
    private struct Ack: Encodable {
        let requestID: String
        let unsubscribed: [Int]
        let failed: [Int] = []
        let notSubscribed: [Int]
        let remaining: [Int]
        let total: Int

        enum CodingKeys: String, CodingKey {
            case unsubscribed, failed, remaining, total
            case requestID = "request_id"
            case notSubscribed = "not_subscribed"
        }
    }

    /// The state without what the request names, and the topics to leave and join.
    struct Outcome: Equatable {
        var state: ConnectionState
        var removed: [Int]
        /// Named but not held.
        var notSubscribed: [Int]
        var remaining: [Int]
        var leave: [String]
        var join: [String]
    }

    static func apply(_ request: UnsubscribeRequest, to state: ConnectionState) -> Outcome {
        var outcome = Outcome(state: state, removed: [], notSubscribed: [], remaining: [], leave: [], join: [])
        let drop = request.channels.map(Set.init)
        var removed = Set<Int>()
        var remaining = Set<Int>()
        var held = Set<Int>()
        if request.source == nil || request.source != TelemetrySources.rule {
            var kept: [ConnectionState.Telemetry] = []
            for subscription in state.telemetry {
                guard request.source == nil || request.source == subscription.source else {
                    kept.append(subscription)
                    continue
                }
                held.formUnion(subscription.channels)
                let left = subscription.channels.filter { !(drop?.contains($0) ?? true) }
                removed.formUnion(subscription.channels.filter { drop?.contains($0) ?? true })
                guard left.count != subscription.channels.count else {
                    kept.append(subscription)
                    remaining.formUnion(left)
                    continue
                }
                if let topic = subscription.topic { outcome.leave.append(topic) }
                if let group = TelemetryGroup(
                    intervalMs: subscription.intervalMs, channels: left, types: subscription.types, source: subscription.source)
                {
                    kept.append(
                        .init(source: group.source, intervalMs: group.intervalMs, channels: group.channels, types: group.types, topic: group.topic))
                    outcome.join.append(group.topic)
                    remaining.formUnion(group.channels)
                }
            }
            outcome.state.telemetry = kept
        }
        if request.source == nil || request.source == TelemetrySources.rule {
            let watched = state.watchedRules
            held.formUnion(watched.map(\.rule))
            let gone = watched.filter { drop?.contains($0.rule) ?? true }
            outcome.leave += gone.map(\.topic)
            removed.formUnion(gone.map(\.rule))
            let kept = watched.filter { !gone.contains($0) }
            remaining.formUnion(kept.map(\.rule))
            outcome.state.watchedRules = kept
        }
        outcome.removed = removed.sorted()
        outcome.remaining = remaining.sorted()
        outcome.notSubscribed = (drop ?? []).subtracting(held).sorted()
        return outcome
    }

    func handle(_ request: UnsubscribeRequest, _ command: inout Command) async throws {
        let outcome = Self.apply(request, to: command.state)
        command.state = outcome.state
        command.reply.leave += outcome.leave
        command.reply.join += outcome.join
        command.send(
            ServerFrame.make(
                "unsubscribe_ack", id: "\(command.id ?? ServerFrame.uniqueID("unsub"))_ack",
                data: Ack(
                    requestID: command.id ?? "", unsubscribed: outcome.removed, notSubscribed: outcome.notSubscribed, remaining: outcome.remaining,
                    total: outcome.removed.count)))
    }
}
