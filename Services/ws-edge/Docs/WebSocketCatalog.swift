/// The WebSocket protocol (DESIGN.md §3) as data, for the `/docs` page and the document's `x-websocket` extension.
///
/// OpenAPI 3.0 has no words for a message protocol over one connection, so it lives next to the HTTP catalog in the same
/// document rather than in a second file that could drift.
enum WebSocketCatalog {
    /// One row of the frame table: what a client sends, what it gets back, and the rules.
    struct Exchange: Sendable {
        let client: String
        let server: String
        let notes: String
        let example: String
    }

    static let envelope =
        #"Every frame is a JSON object {"type", "id", "timestamp", "data"}; timestamp is integer Unix seconds on server frames. "#
        + "Frames over the size limit (default 64 KiB) close the connection with 1009."

    static let endpoints: [(path: String, description: String)] = [
        ("/ws", "Everything below. `?token=<JWT>` or `Authorization: Bearer`; anonymous connections get public rooms and menus, no control."),
        ("/ws/permissions/{user}", "Permission and menu notifications for one user (`anonymous` allowed): heartbeat, permission_check."),
    ]

    static let exchanges: [Exchange] = [
        Exchange(
            client: "—", server: "connection_established / connection_confirmed",
            notes: "The first frame: connection id, user, server time (`connection_confirmed` on /ws/permissions/{user}).", example: ""),
        Exchange(
            client: "subscribe", server: "subscribe_ack, then data_batch at once and every interval",
            notes: "channels, data_types (T, S, C, A), interval 100 ms – 1 h, source (default comsrv: keys {source}:{channel}:{type}). "
                + "At most 1000 channels per subscribe and per connection by default. A data_batch holds every channel of the group and is the same frame for every member.",
            example: #"{"type":"subscribe","id":"sub_001","data":{"channels":[1001,1002],"data_types":["T","S"],"interval":1000}}"#),
        Exchange(
            client: "unsubscribe", server: "unsubscribe_ack", notes: "channels optional: all when absent.",
            example: #"{"type":"unsubscribe","id":"u1","data":{"channels":[1001]}}"#),
        Exchange(
            client: "subscribe_alarms / unsubscribe_alarms", server: "subscribe_alarms_ack, then alarm as they happen",
            notes: "channels optional: all. Alarms also come from POST /api/v1/broadcast and Redis pub/sub alarm:events.",
            example: #"{"type":"subscribe_alarms","id":"a1","data":{}}"#),
        Exchange(
            client: "control", server: "control_ack",
            notes: "Role operator. channel_id, point_id, value (0 is valid), type C or A, command_type; "
                + "RPUSH {source}:{channel}:{C|A}:TODO for the field side. id and command_type at most 64 bytes, reason 256.",
            example: #"{"type":"control","id":"ctrl_001","data":{"channel_id":1001,"point_id":1,"value":0,"type":"C","command_type":"set_value"}}"#),
        Exchange(
            client: "ping", server: "pong",
            notes: "server_time and latency from the optional data.timestamp (your Unix ms, 0 to 8.64e15; outside it INVALID_MESSAGE). "
                + "WebSocket ping/pong also works at the protocol level. Every type's fields: /docs/websocket.json.",
            example: #"{"type":"ping","id":"ping_001","data":{}}"#),
        Exchange(
            client: "join_room", server: "room_joined; others get member_joined",
            notes: "room, optional since (the last message id seen): members and the history since `since` or the last 50. Room ACL from auth.",
            example: #"{"type":"join_room","id":"j1","data":{"room":"lobby"}}"#),
        Exchange(
            client: "leave_room", server: "room_left; others get member_left", notes: "",
            example: #"{"type":"leave_room","id":"l1","data":{"room":"lobby"}}"#),
        Exchange(
            client: "chat_message", server: "chat_message to the room, sender included",
            notes: "room, content (at most 2000 UTF-8 bytes). Persisted before fan-out; the echo carries message_id, server_time and "
                + "your id (at most 64 bytes) as client_id.",
            example: #"{"type":"chat_message","id":"c1","data":{"room":"lobby","content":"hello"}}"#),
        Exchange(
            client: "get_history", server: "history", notes: "room, or your own questions without one; limit, before.",
            example: #"{"type":"get_history","id":"h1","data":{"room":"lobby","limit":20}}"#),
        Exchange(
            client: "clear_history", server: "history_cleared", notes: "Your own question history, or a room as its admin.",
            example: #"{"type":"clear_history","id":"x1","data":{}}"#),
        Exchange(
            client: "ask_question", server: "question_accepted (task_id), later task_update and answer",
            notes: "question (3 characters to 1000 UTF-8 bytes); signed-in users only, rate-limited per user (default 5/min).",
            example: #"{"type":"ask_question","id":"q1","data":{"question":"How do I join a room?"}}"#),
        Exchange(
            client: "get_suggestions", server: "suggestions", notes: "prefix: from earlier questions.",
            example: #"{"type":"get_suggestions","id":"s1","data":{"prefix":"How"}}"#),
        Exchange(
            client: "heartbeat", server: "heartbeat_ack", notes: "The server also sends heartbeat every 30 s.",
            example: #"{"type":"heartbeat","id":"hb1","data":{}}"#),
        Exchange(
            client: "permission_check", server: "permission_check_result (allowed)", notes: "permission; on /ws/permissions/{user}.",
            example: #"{"type":"permission_check","id":"p1","data":{"permission":"menu.read"}}"#),
        Exchange(
            client: "—", server: "menu_update, menu_change (admins), permission_update, notice, alarm, task_update, answer",
            notes: "Pushed as they happen: menus and permissions to every connection, answers to every connection of the asker.",
            example: ""),
        Exchange(
            client: "anything malformed", server: "error",
            notes: "data: code, message, request_id (your id echoed). The connection stays open.",
            example: #"{"type":"error","id":"err_1","timestamp":1736755800,"data":{"code":"INVALID_MESSAGE","message":"…","request_id":"x"}}"#),
    ]

    static var openAPI: JSONValue {
        [
            "envelope": .string(envelope),
            "endpoints": .array(endpoints.map { ["path": .string($0.path), "description": .string($0.description)] }),
            "frames": .array(
                exchanges.map { exchange in
                    var row: JSONValue = ["client": .string(exchange.client), "server": .string(exchange.server), "notes": .string(exchange.notes)]
                    if !exchange.example.isEmpty { row = row.setting("example", .string(exchange.example)) }
                    return row
                }),
        ]
    }
}
