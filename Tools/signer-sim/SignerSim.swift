import ArgumentParser
import CommandKit
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import OpenSSLCrypto
import ServiceKit
import ServiceLifecycle

/// A stand-in for the e-port signing client (DESIGN.md §8): a WebSocket server that greets with the `open` frame and
/// answers `cus-sec_SpcSignDataAsPEM` with real SHA1withRSA signatures, `cus-sec_SpcSHA1DigestAsPEM` with a real SHA-1,
/// `cus-sec_SpcGetSignCertAsPEM` with a certificate for its key and `cus-sec_SpcGetCertNo` with a fixed number; requests
/// come whole or in the SDK's `BLOCKTXT` blocks.
///
/// Tests and benchmarks run against it; its switches make it slow, wrong, garbled or rude on purpose.
@main
struct SignerSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signer-sim",
        abstract: "The e-port signing client stand-in: ws://HOST:PORT/ speaking the e-port signing calls (sign, digest, certificate, cert no).",
        discussion: """
            The RSA key is generated at first start into DATA-DIR/key.pem; the public key is written to DATA-DIR/public.pem \
            and served at GET /public.pem; the certificate \
            is made at every start, written to DATA-DIR/cert.pem and served at GET /cert.pem. An inData starting with "#sleep=<ms>#" is answered after <ms> instead of \
            --latency-ms (the whole inData, prefix included, is what gets signed).
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 61232
    @Option(help: "Where key.pem and public.pem live.") var dataDir = ".run/signer-sim"
    @Option(help: "The password (passwd) requests must carry.") var password = "88888888"
    @Option(help: "The certificate number every answer carries.") var certNo = "SIM-0001"
    @Option(help: "RSA key size when a key is generated.") var keyBits = 2048
    @Option(help: "Delay before every answer, in milliseconds.") var latencyMs = 0
    @Option(help: "Share of requests answered Result:false with Err:Custom50070 (0…1).") var errorRate = 0.0
    @Option(help: "Share of requests answered with a non-JSON frame (0…1).") var garbageRate = 0.0
    @Option(help: "Share of requests answered by closing the connection (0…1).") var dropRate = 0.0
    @Option(help: "Close the connection instead of answering the first N signing requests.") var dropFirst = 0
    @Flag(help: "Greet with a wrong handshake instead of the open frame.") var badHandshake = false
    @Option(help: "Echo each request's _id in its reply; false answers with _id 0.") var echoID = true
    @Option(help: "Write the echoed _id as it came (same), or always as a string or a number.") var idForm = "same"
    @Option(help: "Refuse a whole (not BLOCKTXT) request frame over this many KiB, as a client expecting the SDK's blocks (0: no limit).")
    var maxWholeFrameKb = 0
    @Flag(help: "Answer in the flat form {\"Result\",\"Data\",\"Error\"} without _id, _method, _status.") var flat = false
    @Option(help: "Answer one request at a time per connection, like a card reader; false answers concurrently.") var serial = true
    @Flag(help: "Print the public key PEM (generating the key if needed) and exit.") var printPublicKey = false

    /// Like the generated `main`, but a stop during start-up (key generation can take a while) is not lost.
    static func main() async {
        await mainHoldingStopSignals()
    }

    func validate() throws {
        for (name, rate) in [("--error-rate", errorRate), ("--garbage-rate", garbageRate), ("--drop-rate", dropRate)] where !(0...1).contains(rate) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        guard SimBehaviour.IDForm(rawValue: idForm) != nil else { throw ValidationError("--id-form must be same, string or number") }
        guard maxWholeFrameKb >= 0, maxWholeFrameKb <= 1 << 20 else { throw ValidationError("--max-whole-frame-kb must be 0…1048576") }
        guard latencyMs >= 0, dropFirst >= 0 else { throw ValidationError("--latency-ms and --drop-first must not be negative") }
    }

    func run() async throws {
        let key = try SimKey.loadOrCreate(directory: dataDir, bits: keyBits)
        if printPublicKey {
            print(key.publicKeyPEM, terminator: "")
            return
        }
        let certificate = try SimCertificate.make(keyPEM: key.pem, certNo: certNo)
        let certificatePEM = SimCertificate.pem(certificate)
        try certificatePEM.write(toFile: "\(dataDir)/cert.pem", atomically: true, encoding: .utf8)
        let behaviour = SimBehaviour(
            settings: .init(
                password: password,
                certNo: certNo,
                latency: .milliseconds(latencyMs),
                errorRate: errorRate,
                garbageRate: garbageRate,
                dropRate: dropRate,
                dropFirst: dropFirst,
                badHandshake: badHandshake,
                echoID: echoID,
                idForm: SimBehaviour.IDForm(rawValue: idForm) ?? .same,
                flat: flat,
                maxWholeFrameBytes: maxWholeFrameKb * 1024
            ),
            key: key,
            certificate: certificate
        )
        var logger = Logger(label: "signer-sim")
        logger.logLevel = .info
        let publicPEM = key.publicKeyPEM
        let session = SimSession(behaviour: behaviour, serial: serial)
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.get("/public.pem") { _, _ in publicPEM }
        router.get("/cert.pem") { _, _ in certificatePEM }
        router.get("/stats") { _, _ in "{\"requests\":\(behaviour.requestsServed)}" }
        router.ws("/") { inbound, outbound, _ in
            try await session.serve(inbound: inbound, outbound: outbound)
        }
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(ws: .init(maxFrameSize: SimSession.maxMessageBytes, autoPing: .disabled, closeTimeout: .seconds(1)))
            ),
            configuration: .init(address: .hostname(host, port: port), serverName: "signer-sim"),
            logger: logger
        )
        logger.info(
            "signer-sim on ws://\(host):\(port)/ (pid \(getpid()), key \(dataDir)/key.pem, latency \(latencyMs) ms, \(serial ? "serial" : "concurrent"))"
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), EarlySignals.replayService],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.info("signer-sim stopped after \(behaviour.requestsServed) requests")
    }
}
