import Foundation
import Logging
import Testing

@testable import Bus

/// CURVE keys as files, the ZAP decision, and the refusal of `tcp://` without keys (this test process has none).
@Suite("CURVE keys and ZAP", .timeLimit(.minutes(1)))
struct CurveKeyTests {
    func scratch() -> String {
        "/tmp/sbkeys-\(UUID().uuidString.prefix(8))"
    }

    func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int) ?? -1
    }

    @Test func libzmqHereHasCurve() {
        #expect(BusKeyPair.isSupported)
    }

    @Test func aPairSurvivesItsFileAndThePublicFileHasNoSecret() throws {
        let dir = scratch()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pair = try BusKeyPair.generate()
        #expect(pair.publicKey.count == 40 && pair.secretKey?.count == 40 && pair.publicKey != pair.secretKey)
        try pair.write(to: "\(dir)/a.key")
        try pair.publicOnly.write(to: "\(dir)/a.pub")
        #expect(try BusKeyPair.read("\(dir)/a.key") == pair)
        #expect(try BusKeyPair.read("\(dir)/a.pub").secretKey == nil)
        #expect(mode("\(dir)/a.key") == 0o600)
        #expect(try BusKeyPair.generate() != pair)
    }

    @Test func aDamagedKeyFileIsAnErrorNamingTheFile() throws {
        let path = "\(scratch()).key"
        try "public=not-a-key\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: BusError.self) { try BusKeyPair.read(path) }
        #expect(throws: BusError.self) { try BusKeyPair.read("\(path).absent") }
    }

    @Test func generatingTwiceKeepsTheKeysAndTheModes() throws {
        let keys = BusKeyDirectory(path: scratch())
        defer { try? FileManager.default.removeItem(atPath: keys.path) }
        #expect(!keys.exists)
        let first = try keys.generateMissing()
        #expect(first.count == 2 * (BusKeyDirectory.servers.count + BusKeyDirectory.clients.count))
        #expect(keys.exists)
        let auth = try BusKeyPair.read(keys.serverKeyPath("auth"))
        #expect(try keys.generateMissing().isEmpty)
        #expect(try BusKeyPair.read(keys.serverKeyPath("auth")) == auth)
        #expect(mode(keys.path) == 0o700 && mode("\(keys.path)/clients") == 0o700)
        #expect(Set(keys.allowedClients().values) == Set(BusKeyDirectory.clients))
    }

    @Test func zapAdmitsOnlyListedCurveKeys() throws {
        let known = try BusKeyPair.generate()
        let stranger = try BusKeyPair.generate()
        let allowed = [known.publicKey: "ws-edge"]
        func ask(_ mechanism: String, _ key: [UInt8]?) -> (status: String, user: String) {
            var frames: [[UInt8]] = [
                Array("1.0".utf8), Array("7".utf8), Array("switchboard".utf8), Array("127.0.0.1".utf8), [], Array(mechanism.utf8),
            ]
            if let key { frames.append(key) }
            let reply = ZAPDriver.answer(frames, allowed: allowed, keysPath: "/k", logger: Logger(label: "test"))
            #expect(reply.count == 6 && reply[1] == Array("7".utf8))
            return (String(decoding: reply[2], as: UTF8.self), String(decoding: reply[4], as: UTF8.self))
        }
        #expect(ask("CURVE", known.publicBytes) == ("200", "ws-edge"))
        #expect(ask("CURVE", stranger.publicBytes).status == "400")
        #expect(ask("NULL", nil).status == "400")
        #expect(ask("CURVE", [1, 2, 3]).status == "400")
        #expect(ZAPDriver.answer([[1]], allowed: allowed, keysPath: "/k", logger: Logger(label: "test"))[2] == Array("500".utf8))
    }

    @Test func aTCPServerWithoutKeysRefusesToBind() throws {
        // This process has neither a keys directory nor SWITCHBOARD_BUS_INSECURE.
        #expect(!BusSecurity.shared.keys.exists && !BusSecurity.shared.insecureAllowed)
        let error = #expect(throws: BusError.self) { _ = try RPCServer(endpoint: "tcp://127.0.0.1:0") }
        #expect(error?.description.contains("SWITCHBOARD_BUS_INSECURE=1") == true, "\(String(describing: error))")
    }
}
