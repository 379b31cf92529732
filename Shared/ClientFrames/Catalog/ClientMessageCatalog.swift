import SwitchboardProtocol

/// Every client message type: its payload, the endpoints that accept it, the reply types, and the one service that
/// handles it (the edge answers `ping` / `heartbeat` itself). The edge routes with it and serves it as
/// `/docs/websocket.json`; the bad-input suite and the fuzzer read the same table, so it cannot drift from the handlers,
/// which decode exactly `payload`.
public enum ClientMessageCatalog {
    public static let entries: [MessageEntry] = [
        .init(PingRequest.self, owner: .edge, endpoints: [.main, .permissions], replies: ["pong"]),
        .init(HeartbeatRequest.self, owner: .edge, endpoints: [.main, .permissions], replies: ["heartbeat_ack"]),
        .init(PermissionCheckRequest.self, owner: .service(.menu), endpoints: [.main, .permissions], replies: ["permission_check_result"]),
        .init(SubscribeRequest.self, owner: .service(.scheduler), replies: ["subscribe_ack"]),
        .init(UnsubscribeRequest.self, owner: .service(.scheduler), replies: ["unsubscribe_ack"]),
        .init(SubscribeAlarmsRequest.self, owner: .service(.scheduler), replies: ["subscribe_alarms_ack"]),
        .init(UnsubscribeAlarmsRequest.self, owner: .service(.scheduler), replies: ["unsubscribe_alarms_ack"]),
        .init(ControlRequest.self, owner: .service(.scheduler), replies: ["control_ack"]),
        .init(JoinRoomRequest.self, owner: .service(.scheduler), replies: ["room_joined"]),
        .init(LeaveRoomRequest.self, owner: .service(.scheduler), replies: ["room_left"]),
        .init(ChatMessageRequest.self, owner: .service(.scheduler), replies: ["chat_message"]),
        .init(GetHistoryRequest.self, owner: .service(.scheduler), replies: ["history"]),
        .init(ClearHistoryRequest.self, owner: .service(.scheduler), replies: ["history_cleared"]),
        .init(AskQuestionRequest.self, owner: .service(.scheduler), replies: ["question_accepted"]),
        .init(GetSuggestionsRequest.self, owner: .service(.scheduler), replies: ["suggestions"]),
    ]

    /// The entries by message type.
    public static let byType: [String: MessageEntry] = Dictionary(uniqueKeysWithValues: entries.map { ($0.type, $0) })

    /// The types a given service handles.
    public static func types(of service: ServiceName) -> [String] {
        entries.filter { $0.owner == .service(service) }.map(\.type)
    }
}

/// One row of `ClientMessageCatalog`.
public struct MessageEntry: Sendable {
    public enum Owner: Sendable, Equatable {
        /// Answered by the edge itself (`ping`, `heartbeat`): no service is asked.
        case edge
        case service(ServiceName)
    }

    public enum Endpoint: String, Sendable, Hashable {
        /// `/ws`
        case main
        /// `/ws/permissions/{user}`
        case permissions
    }

    public let payload: any ClientPayload.Type
    public let owner: Owner
    public let endpoints: Set<Endpoint>
    /// The frame types that answer this one besides `error` (the bad-input suite accepts only these or an error).
    public let replies: Set<String>

    public init(_ payload: any ClientPayload.Type, owner: Owner, endpoints: Set<Endpoint> = [.main], replies: Set<String>) {
        self.payload = payload
        self.owner = owner
        self.endpoints = endpoints
        self.replies = replies
    }

    public var type: String { payload.messageType }

    public var schema: MessageSchema {
        MessageSchema(
            type: type, payload: String(describing: payload), endpoints: endpoints.map(\.rawValue).sorted(), replies: replies.sorted(),
            fields: PayloadSchema(payload: payload).fields)
    }
}

/// One message type as `/docs/websocket.json` describes it.
public struct MessageSchema: Encodable, Sendable {
    public let type: String
    /// The Swift type of `data`, so the bad-input suite can check that the fuzzer knows every payload.
    public let payload: String
    public let endpoints: [String]
    public let replies: [String]
    public let fields: [PayloadSchema.Field]
    /// A valid frame of this type from the docs' frame table, when it has one (filled in by the edge's docs route).
    public var example: String? = nil
}
