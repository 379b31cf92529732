/// The FAQ the worker answers from when no `--faq` file is given: questions about using Switchboard itself.
enum DefaultFAQ {
    static let json = #"""
        [
          {"questions": ["How do I join a room?", "How can I enter a chat room?"],
           "answers": ["Send {\"type\":\"join_room\",\"data\":{\"room\":\"<room>\"}}; the reply room_joined lists the members and the last 50 messages."]},
          {"questions": ["How do I get the messages I missed while I was offline?", "How do I reconnect to a room without losing messages?"],
           "answers": ["Join the room again with since set to the id of the last message you saw; room_joined then holds exactly what you missed."]},
          {"questions": ["How do I subscribe to telemetry data?", "How do I receive channel data?"],
           "answers": ["Send subscribe with channels, data_types (T, S, C, A) and an interval in ms; a data_batch arrives at once and then every interval."]},
          {"questions": ["How do I send a control command?", "How can I set a value on a device?"],
           "answers": ["Send control with channel_id, point_id and value; you need the operator role, and control_ack tells you the outcome."]},
          {"questions": ["How do I reset my password?", "I forgot my password"],
           "answers": ["Ask an administrator to set a new one with switchboard user; passwords are never sent by mail."]},
          {"questions": ["Why was my message rate limited?", "What does RATE_LIMITED mean?"],
           "answers": ["Each user may send a limited number of frames per second and 5 questions a minute; wait for retry_after_seconds and send again."]},
          {"questions": ["How do I see my earlier questions?", "Where is my question history?"],
           "answers": ["Send get_history without a room: you get your own questions and their answers, newest page first, paged with before."]},
          {"questions": ["How do I make a room private?", "Who can join a private room?"],
           "answers": ["An admin sets the room's ACL with PUT /api/auth/rooms/{room}/acl; private rooms admit their listed members and admins."]},
          {"questions": ["Is the service healthy?", "How do I check the health of the system?"],
           "answers": ["GET /health shows every service and Redis with their latency; it answers 200 when all are up and 503 naming those that are not."]},
          {"questions": ["What is the size limit of a WebSocket frame?", "Why was my connection closed with 1009?"],
           "answers": ["Frames over 64 KiB (configurable) close the connection with 1009; chat messages may hold 2000 characters."]}
        ]
        """#
}
