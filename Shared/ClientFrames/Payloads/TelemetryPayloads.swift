import SwitchboardProtocol

/// `subscribe` {channels, data_types?, interval?, source?}: `source` is a configured source (`comsrv`, `inst`, …) whose
/// `channels` are channel ids, or `rule`, whose `channels` are rule ids (no `data_types`), as VoltageEMS's dashboard sends.
public struct SubscribeRequest: ClientPayload {
    public static let messageType = "subscribe"

    /// Numbers expected; anything else is reported back in `failed` as it was sent.
    public let channels: [ChannelReference]
    public let dataTypes: [String]?
    /// Milliseconds.
    public let interval: Int?
    public let source: String?

    enum CodingKeys: String, CodingKey {
        case channels, interval, source
        case dataTypes = "data_types"
    }
}

/// `unsubscribe` {channels?, source?}: without `channels`, all of them; without `source`, from every source.
public struct UnsubscribeRequest: ClientPayload {
    public static let messageType = "unsubscribe"
    public static let whenAbsent: UnsubscribeRequest? = UnsubscribeRequest(channels: nil, source: nil)

    public let channels: [Int]?
    public let source: String?

    public init(channels: [Int]?, source: String?) {
        self.channels = channels
        self.source = source
    }
}

/// `subscribe_alarms` {channels?}: without `channels`, every alarm.
public struct SubscribeAlarmsRequest: ClientPayload {
    public static let messageType = "subscribe_alarms"
    public static let whenAbsent: SubscribeAlarmsRequest? = SubscribeAlarmsRequest(channels: nil)

    public let channels: [Int]?
}

/// `unsubscribe_alarms`: no fields.
public struct UnsubscribeAlarmsRequest: FieldlessPayload {
    public static let messageType = "unsubscribe_alarms"
    public init() {}
}

/// `control` {channel_id, point_id, value?, type?, command_type?, source?, reason?}: `value` is required except for
/// `command_type: "get_value"` (the VoltageEMS dashboard's `value?: number`).
public struct ControlRequest: ClientPayload {
    public static let messageType = "control"

    public let channelID: Int
    public let pointID: Int
    public let value: ControlValue?
    public let commandType: String?
    public let dataType: String?
    public let source: String?
    public let reason: String?

    enum CodingKeys: String, CodingKey {
        case value, source, reason
        case channelID = "channel_id"
        case pointID = "point_id"
        case commandType = "command_type"
        case dataType = "type"
    }
}

/// A control value: a number (0 included) or a boolean (sent as 1/0), kept as JSON text.
public struct ControlValue: Decodable, Sendable {
    public let json: String
    public let echo: Double

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            json = flag ? "1" : "0"
            echo = flag ? 1 : 0
        } else if let number = try? container.decode(Int64.self) {
            json = String(number)
            echo = Double(number)
        } else if let number = try? container.decode(Double.self), number.isFinite {
            json = String(number)
            echo = number
        } else {
            throw DecodingError.typeMismatch(Double.self, .init(codingPath: decoder.codingPath, debugDescription: "value must be a number"))
        }
    }
}
