import Foundation
import OpenSSLCrypto
import TestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real signing path for one test: redis, signer-sim on a free port, the signer pointed at it, and the edge in front.
///
/// Requests go in as the bridge's callers send them (hex of AES-ECB over `{"str","pwdstr"}`) and answers are decrypted
/// and checked against the sim's own public key, so a signature for somebody else's `str` cannot pass.
final class SignerRig: @unchecked Sendable {
    // Driven from one test task; `@unchecked` for the same reason as `Cluster`.
    static let aesKey = AES.mysqlFoldedKey("1234567887654321")
    static let password = "88888888"

    let cluster: Cluster
    let simPort: Int
    private(set) var publicKey: RSAPublicKey?

    private init(cluster: Cluster, simPort: Int) {
        self.cluster = cluster
        self.simPort = simPort
    }

    /// Starts everything. `sim: nil` leaves the upstream port closed (upstream down).
    static func start(sim: [String]? = [], signer: [String: String] = [:]) async throws -> SignerRig {
        let simPort = try FreePort.allocate()
        var environment = [
            "SWITCHBOARD_SIGNER_UPSTREAM": "ws://127.0.0.1:\(simPort)/",
            "SWITCHBOARD_SIGNER_PROBE_SECONDS": "0",
        ]
        for (key, value) in signer { environment[key] = value }
        let cluster = try await Cluster.start([], environment: environment)
        let rig = SignerRig(cluster: cluster, simPort: simPort)
        do {
            if let sim { try await rig.startSim(sim) }
            try cluster.start("signer")
            try cluster.start("ws-edge")
            try await cluster.waitForHealth(503, timeout: .seconds(20)) { answer in
                let services = (try? answer.json())?["services"] as? [String: [String: Any]]
                return services?["signer"]?["status"] as? String == "up"
            }
        } catch {
            cluster.shutdown()
            throw error
        }
        return rig
    }

    /// (Re)starts signer-sim with `arguments` and waits until it serves its public key.
    func startSim(_ arguments: [String]) async throws {
        if let running = cluster.process("signer-sim"), running.isRunning { running.kill9() }
        try cluster.start(
            "signer-sim",
            arguments: ["--port", String(simPort), "--data-dir", "\(cluster.runDirectory)/signer-sim", "--key-bits", "1024"] + arguments
        )
        let end = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < end {
            if let pem = try? await simGet("/public.pem"), let key = try? RSAPublicKey(pem: pem) {
                publicKey = key
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("signer-sim did not come up on port \(simPort):\n\(cluster.log("signer-sim"))")
    }

    func simGet(_ path: String) async throws -> String {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(simPort)\(path)")!)
        request.timeoutInterval = 2
        let (data, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw HarnessError("GET \(path) on the sim failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// How many requests the sim has answered (or dropped) so far.
    func simRequests() async throws -> Int {
        let stats = try JSONSerialization.jsonObject(with: Data(try await simGet("/stats").utf8)) as? [String: Any]
        return stats?["requests"] as? Int ?? -1
    }

    func shutdown() { cluster.shutdown() }

    // MARK: The /getCode format

    static func encrypt(_ plaintext: String, key: [UInt8] = aesKey, lowercase: Bool = false) -> String {
        let cipher = try! AES.encrypt(Array(plaintext.utf8), key: key, mode: .ecb)
        return Hex.encode(cipher, uppercase: !lowercase)
    }

    static func requestJSON(str: String, pwdstr: String = password) -> String {
        let object = ["str": str, "pwdstr": pwdstr]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    func getCode(body: String, timeout: TimeInterval = 10) async throws -> Cluster.HTTPAnswer {
        try await cluster.http("POST", "/getCode", body: Data(body.utf8), headers: ["Content-Type": "text/plain"], timeout: timeout)
    }

    func getCode(str: String, pwdstr: String = password, lowercase: Bool = false) async throws -> Cluster.HTTPAnswer {
        try await getCode(body: Self.encrypt(Self.requestJSON(str: str, pwdstr: pwdstr), lowercase: lowercase))
    }

    /// The decrypted `data` of a 200: `{"sign","certNo"}`.
    static func decodeSuccess(_ answer: Cluster.HTTPAnswer) throws -> (sign: String, certNo: String) {
        let body = try answer.json()
        guard answer.status == 200, body["code"] as? Int == 200, body["msg"] as? String == "成功", let data = body["data"] as? String else {
            throw HarnessError("not a /getCode success: \(answer.status) \(answer.text)")
        }
        guard data == data.uppercased(), let cipher = Hex.decode(data) else { throw HarnessError("data is not uppercase hex: \(data)") }
        let plain = try AES.decrypt(cipher, key: aesKey, mode: .ecb)
        let inner = try JSONSerialization.jsonObject(with: Data(plain)) as? [String: Any]
        guard let sign = inner?["sign"] as? String, let certNo = inner?["certNo"] as? String else {
            throw HarnessError("decrypted data lacks sign/certNo: \(String(decoding: plain, as: UTF8.self))")
        }
        return (sign, certNo)
    }

    /// True when `sign` (base64, no PEM armour) is the sim key's SHA1withRSA signature of `str`'s UTF-8 bytes.
    func verifies(_ sign: String, for str: String) -> Bool {
        guard let publicKey, let signature = Data(base64Encoded: sign) else { return false }
        return publicKey.verifySHA1(signature: Array(signature), data: Array(str.utf8))
    }

    /// Asserts the error shape `{"code":status,"msg":"…","data":false}` and returns the msg.
    static func errorMessage(_ answer: Cluster.HTTPAnswer, status: Int) throws -> String {
        let body = try answer.json()
        guard answer.status == status, Set(body.keys) == ["code", "msg", "data"], body["code"] as? Int == status,
            answer.text.hasPrefix("{\"code\":\(status),\"msg\":"), answer.text.hasSuffix(",\"data\":false}"),
            let message = body["msg"] as? String, !message.isEmpty
        else {
            throw HarnessError("expected {\"code\":\(status),\"msg\":…,\"data\":false}, got \(answer.status) \(answer.text)")
        }
        return message
    }
}
