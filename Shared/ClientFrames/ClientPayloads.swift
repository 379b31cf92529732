/// Every payload type of the client protocol, for the code that has no catalog to ask: the frame fuzzer (`make fuzz`)
/// decodes each input as each of them. The bad-input suite checks that this list and `ClientMessageCatalog` agree, so a new
/// message type cannot be left out of the fuzzer unnoticed.
public enum ClientPayloads {
    public static let all: [any ClientPayload.Type] = [
        PingRequest.self, HeartbeatRequest.self, PermissionCheckRequest.self,
        SubscribeRequest.self, UnsubscribeRequest.self, SubscribeAlarmsRequest.self, UnsubscribeAlarmsRequest.self, ControlRequest.self,
        JoinRoomRequest.self, LeaveRoomRequest.self, ChatMessageRequest.self, GetHistoryRequest.self, ClearHistoryRequest.self,
        AskQuestionRequest.self, GetSuggestionsRequest.self,
    ]
}
