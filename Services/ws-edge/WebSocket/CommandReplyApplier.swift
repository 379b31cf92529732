import NIOCore
import SwitchboardProtocol

/// Applies a service's `ClientCommandReply` to one connection, in its order: leave, join, frames, state, ordered
/// joins (after the frames, so a history is never overtaken by live messages), close. The edge decides nothing here:
/// which topics a connection follows is the service's answer. With `acknowledge`, the first frame is the Socket.IO
/// acknowledgement of the command instead of a frame on the connection (and an empty acknowledgement without frames).
struct CommandReplyApplier: Sendable {
    let context: EdgeContext

    func apply(_ reply: ClientCommandReply, from service: ServiceName, to connection: Connection, acknowledge: ReplyAcknowledgement? = nil) async {
        for topic in reply.leave {
            if !context.ordered.detach(connection, topic: topic, context: context) { context.registry.leave(connection, topic) }
        }
        for topic in reply.join { context.registry.join(connection, topic) }
        for (index, frame) in reply.frames.enumerated() {
            if index == 0, let acknowledge { acknowledge(ByteBuffer(string: frame)) } else { connection.send(ByteBuffer(string: frame)) }
        }
        if reply.frames.isEmpty, let acknowledge { acknowledge(nil) }
        if let state = reply.state { connection.setState(state, for: service) }
        for join in reply.ordered {
            guard let after = StreamID(join.after) else {
                context.logger.warning("\(service) named ordered topic \(join.topic.prefix(80)) with a bad start \(join.after.prefix(40))")
                continue
            }
            await context.ordered.attach(connection, topic: join.topic, after: after, context: context)
        }
        if let close = reply.close { connection.requestClose(code: close.code, reason: close.reason) }
    }
}
