import Dispatch
import Foundation
import OpenSSLCrypto

/// A stored password: PBKDF2-SHA256 output, its salt, and the iteration count it was made with.
///
/// The count travels with each hash, so raising `SWITCHBOARD_PBKDF2_ITERATIONS` never locks anyone out: old hashes verify
/// with their own count and are upgraded at the next successful login.
struct PasswordHash: Sendable, Equatable {
    static let keyLength = 32
    static let saltLength = 16

    let derived: [UInt8]
    let salt: [UInt8]
    let iterations: Int
}

/// Hashes and verifies passwords with PBKDF2-SHA256 off Swift's cooperative pool.
///
/// One hash costs tens of milliseconds of pure CPU (that is the point of it). Run on the cooperative pool it would hold
/// one of its few threads for that long and stall unrelated RPCs (policy checks on the WebSocket hot path), so every
/// derivation runs on a global Dispatch queue and the calling task just awaits it.
struct PasswordHasher: Sendable {
    let iterations: Int
    /// A hash nobody's password matches, verified against for unknown user names so that a login for a missing user
    /// costs the same as one for an existing user, and response time does not reveal which names exist.
    private let decoy: PasswordHash

    init(iterations: Int) {
        self.iterations = iterations
        decoy = PasswordHash(
            derived: SecureRandom.bytes(PasswordHash.keyLength), salt: SecureRandom.bytes(PasswordHash.saltLength), iterations: iterations)
    }

    /// A fresh salt and hash at the configured cost.
    func hash(_ password: String) async -> PasswordHash {
        let salt = SecureRandom.bytes(PasswordHash.saltLength)
        let derived = await Self.derive(Array(password.utf8), salt: salt, iterations: iterations)
        return PasswordHash(derived: derived, salt: salt, iterations: iterations)
    }

    /// Whether `password` produces `stored`, compared in constant time.
    func verify(_ password: String, against stored: PasswordHash) async -> Bool {
        let derived = await Self.derive(Array(password.utf8), salt: stored.salt, iterations: stored.iterations)
        return constantTimeEquals(derived, stored.derived)
    }

    /// Spends the cost of one verification and answers false: the unknown-user path of login.
    func verifyDecoy(_ password: String) async -> Bool {
        _ = await verify(password, against: decoy)
        return false
    }

    /// Measures one derivation at the configured cost (logged at start, so operators see what a login costs).
    func measure() async -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        _ = await Self.derive(Array("calibration".utf8), salt: decoy.salt, iterations: iterations)
        return start.duration(to: clock.now)
    }

    private static func derive(_ password: [UInt8], salt: [UInt8], iterations: Int) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(
                    returning: KDF.pbkdf2(password: password, salt: salt, iterations: iterations, keyLength: PasswordHash.keyLength, hash: .sha256))
            }
        }
    }
}
