import SwitchboardProtocol
import Synchronization

/// What the upgrade check decided, carried from `shouldUpgrade` to the upgraded handler through the request context.
final class Admission: Sendable {
    struct Admitted: Sendable {
        let endpoint: Connection.Endpoint
        let principal: Principal?
        let ip: String
    }

    private let value = Mutex<Admitted?>(nil)

    func set(_ admitted: Admitted) { value.withLock { $0 = admitted } }
    var admitted: Admitted? { value.withLock { $0 } }
}
