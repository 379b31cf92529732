/// What a connection or request without a token may do — one explicit setting per capability (DESIGN.md §3), read
/// by every process that decides one of them, so the edge, the scheduler and auth agree:
///
/// | setting | default | covers |
/// |---|---|---|
/// | `SWITCHBOARD_ANONYMOUS_TELEMETRY` | on | `subscribe` on `/ws`, `GET /api/data/…` |
/// | `SWITCHBOARD_ANONYMOUS_ALARMS` | on | `subscribe_alarms`, `GET /api/alarms` |
/// | `SWITCHBOARD_ANONYMOUS_ROOMS` | on | joining and reading public rooms (`join_room`, `get_history`) |
///
/// Defaults follow the plant systems Switchboard replaces. Control is never anonymous (it needs role `operator`), nor
/// is posting to a room or asking a question.
public struct AnonymousAccess: Sendable, Equatable {
    public let telemetry: Bool
    public let alarms: Bool
    public let rooms: Bool

    public init(telemetry: Bool = true, alarms: Bool = true, rooms: Bool = true) {
        self.telemetry = telemetry
        self.alarms = alarms
        self.rooms = rooms
    }

    public init(config: SwitchboardConfig) {
        telemetry = config.bool("SWITCHBOARD_ANONYMOUS_TELEMETRY", default: true)
        alarms = config.bool("SWITCHBOARD_ANONYMOUS_ALARMS", default: true)
        rooms = config.bool("SWITCHBOARD_ANONYMOUS_ROOMS", default: true)
    }

    /// The message an anonymous caller gets when `capability` is off.
    public static func refusal(_ capability: String, setting: String) -> String {
        "\(capability) needs a signed-in user here (anonymous access is off: \(setting)=0)"
    }
}
