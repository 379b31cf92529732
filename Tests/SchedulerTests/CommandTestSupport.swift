import ClientFrames
import Foundation
import SwitchboardProtocol

@testable import Scheduler

/// A command as the edge would send it, for handlers tested without a socket.
func command(_ frame: String, principal: Principal? = nil, state: ConnectionState = ConnectionState()) throws -> Command {
    let message = try ClientMessage.parse(Data(frame.utf8)).get()
    let request = ClientCommandRequest(
        edge: "edge-test", connection: "c1", principal: principal, ip: "127.0.0.1", endpoint: "main", type: message.type, id: message.id,
        frame: frame, state: state.text)
    return Command(request: request, message: message, state: state)
}

/// The frames of a reply as JSON objects.
func objects(_ reply: ClientCommandReply) -> [[String: Any]] {
    reply.frames.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

let operatorUser = Principal(user: "olga", roles: ["operator"])
let viewer = Principal(user: "vic", roles: ["viewer"])
let admin = Principal(user: "ada", roles: ["admin"])
