import Foundation
import HTTPTypes
import NIOCore
import Synchronization

/// What every Socket.IO session of this edge shares (the `/ws` sessions' context, hooks, router and bounds, the
/// authenticator, Engine.IO's timing) and the table of live sessions by Engine.IO id, which polling requests and the
/// upgrade's WebSocket name in `?sid=`. The id is the polling client's only credential, so it is 120 random bits.
final class SocketIOSessions: Sendable {
    struct Settings: Sendable {
        /// `SWITCHBOARD_SOCKETIO_PING_INTERVAL_MS` (25000): how often the server pings (`2`).
        var pingInterval: TimeAmount = .seconds(25)
        /// `SWITCHBOARD_SOCKETIO_PING_TIMEOUT_MS` (20000): how long the client has to answer (`3`) before it is dropped.
        var pingTimeout: TimeAmount = .seconds(20)
        /// A session that has not sent its Socket.IO `CONNECT` by then is closed (Socket.IO server's `connectTimeout`).
        var connectTimeout: TimeAmount = .seconds(45)
        /// Sessions this edge holds at most (polling sessions outlive their HTTP connections, so they are capped here).
        var maxSessions = 20_000
    }

    let shared: WebSocketSessions
    let authenticator: Authenticator
    let settings: Settings
    private let table = Mutex<[String: SocketIOSessionHandle]>([:])

    init(shared: WebSocketSessions, authenticator: Authenticator, settings: Settings) {
        self.shared = shared
        self.authenticator = authenticator
        self.settings = settings
    }

    /// Engine.IO's `maxPayload`: the `/ws` message limit (`SWITCHBOARD_WS_MAX_FRAME_BYTES`), for one packet or one POST.
    var maxPayload: Int { shared.settings.messageLimit }

    /// The bounds of a Socket.IO WebSocket: those of `/ws`, without protocol pings (Engine.IO pings instead).
    var socketSettings: WebSocketSettings {
        var settings = shared.settings
        settings.pingInterval = nil
        return settings
    }

    /// A new, unguessable session id (URL-safe base64 of 15 random bytes).
    static func makeSID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<15).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// The open packet of `sid`; a polling session may upgrade to WebSocket, a WebSocket session has nowhere to go.
    func openPacket(sid: String, upgrades: [String]) -> ByteBuffer {
        EngineIOPacket.open(
            sid: sid, upgrades: upgrades, pingInterval: settings.pingInterval.nanoseconds / 1_000_000,
            pingTimeout: settings.pingTimeout.nanoseconds / 1_000_000, maxPayload: maxPayload)
    }

    /// Adds a session; false when the edge holds `maxSessions` already.
    func add(_ session: SocketIOSessionHandle) -> Bool {
        table.withLock { table in
            guard table.count < settings.maxSessions else { return false }
            table[session.sid] = session
            return true
        }
    }

    var isFull: Bool { table.withLock { $0.count >= settings.maxSessions } }

    func remove(_ sid: String) { _ = table.withLock { $0.removeValue(forKey: sid) } }

    func session(_ sid: String) -> SocketIOSessionHandle? { table.withLock { $0[sid] } }
}

/// Who opened a session, kept for its Socket.IO `CONNECT`: the address the policy counts, and the handshake's
/// `Authorization` header and `?token=` (used when the `CONNECT` packet's auth carries no token).
struct SocketIOHandshake: Sendable {
    let ip: String
    let authorization: HTTPFields
    let queryToken: String?

    init(ip: String, headers: HTTPFields, queryToken: String?) {
        self.ip = ip
        var fields = HTTPFields()
        if let value = headers[.authorization] { fields[.authorization] = value }
        authorization = fields
        self.queryToken = queryToken
    }
}
