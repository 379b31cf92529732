import NIOCore
import ServiceKit

/// permessage-deflate (RFC 7692) as the edge speaks it: it always compresses each message on its own
/// (`server_no_context_takeover`), so a group frame compressed once is the same bytes for every member that negotiated
/// compression, and the fan-out writes that one buffer to all of them.
///
/// The client's messages are inflated with the window it negotiated; the edge asks for a small one
/// (`client_max_window_bits`, when the client offers to take it) so a connection that sends compressed messages keeps
/// little inflate state, and none until its first compressed message.
enum PerMessageDeflate {
    static let extensionName = "permessage-deflate"

    /// What the edge accepts (`SWITCHBOARD_WS_DEFLATE`, `SWITCHBOARD_WS_DEFLATE_MIN_BYTES`).
    struct Configuration: Sendable, Equatable {
        /// Frames under this many bytes go out uncompressed: below it compression saves next to nothing.
        var minBytes = 256
        /// The client window the edge asks for when the client offers `client_max_window_bits`: clients send short
        /// commands, so 1 KiB of history costs them almost nothing and keeps the edge's inflater small.
        var requestedClientWindowBits = 10

        /// nil when compression is turned off (`SWITCHBOARD_WS_DEFLATE=0`).
        init?(_ config: SwitchboardConfig) {
            guard config.bool("SWITCHBOARD_WS_DEFLATE", default: true) else { return nil }
            minBytes = max(0, config.int("SWITCHBOARD_WS_DEFLATE_MIN_BYTES", default: 256))
        }

        init(minBytes: Int = 256, requestedClientWindowBits: Int = 10) {
            self.minBytes = minBytes
            self.requestedClientWindowBits = min(15, max(9, requestedClientWindowBits))
        }
    }

    /// What one connection negotiated.
    struct Agreement: Sendable, Equatable {
        /// The window the edge compresses with: the client's `server_max_window_bits`, else 15.
        var serverWindowBits = 15
        /// The window the client compresses with, the most the edge's inflater must hold: what the edge asked for, else 15.
        var clientWindowBits = 15
        /// The client compresses each message on its own: the inflater is freed after every message.
        var clientNoContextTakeover = false
        var minBytes = 256
        /// Whether the offer named `server_max_window_bits` (the answer must then repeat it) and `client_max_window_bits`
        /// (only then may the answer name it).
        fileprivate var answersServerWindow = false
        fileprivate var answersClientWindow = false

        /// The `Sec-WebSocket-Extensions` value of the 101 response.
        var response: String {
            var text = "\(PerMessageDeflate.extensionName); server_no_context_takeover"
            if clientNoContextTakeover { text += "; client_no_context_takeover" }
            if answersServerWindow { text += "; server_max_window_bits=\(serverWindowBits)" }
            if answersClientWindow { text += "; client_max_window_bits=\(clientWindowBits)" }
            return text
        }

        /// How the client's messages are inflated.
        var inbound: Inbound { Inbound(windowBits: UInt8(clientWindowBits), keepsContext: !clientNoContextTakeover) }

        /// How the edge's frames to this client are compressed.
        var outbound: Outbound { Outbound(windowBits: serverWindowBits, minBytes: minBytes) }
    }

    /// How one client's compressed messages are inflated: kept by its handler, a few bytes until the first one.
    struct Inbound: Sendable, Equatable {
        var windowBits: UInt8
        /// The client may refer back into its earlier messages: the inflater's window outlives each message.
        var keepsContext: Bool
    }

    /// How the frames to one kind of client are compressed: part of its `WireEncoding`, so a fan-out compresses each
    /// distinct frame once per kind.
    struct Outbound: Hashable, Sendable {
        var windowBits = 15
        var minBytes = 256
        /// Every message compressed, however small and even when that is not smaller: the echo endpoint only, as
        /// Autobahn's reference server does (kosoku's 12.*/13.* cases fail on an uncompressed echo, which RFC 7692 allows).
        var always = false

        /// The compressed message, or nil when it should go out as it is: under the threshold, or not smaller.
        func compress(_ message: ByteBuffer) -> ByteBuffer? {
            if always { return PerMessageDeflaterPool.shared.compress(message, windowBits: windowBits, evenIfLarger: true) }
            guard message.readableBytes >= minBytes, message.readableBytes > 0 else { return nil }
            return PerMessageDeflaterPool.shared.compress(message, windowBits: windowBits)
        }
    }

    /// The answer to a client's `Sec-WebSocket-Extensions` header lines: the first permessage-deflate offer the edge
    /// can accept (RFC 7692 §5), or nil (the connection is upgraded without compression). An offer with an unknown,
    /// repeated or malformed parameter is declined (§7: "MUST decline"); later offers are the client's fallbacks.
    static func negotiate(_ headerValues: [String], configuration: Configuration) -> Agreement? {
        for offer in ExtensionOffer.parse(headerValues) where offer.name.lowercased() == extensionName {
            if let agreement = accept(offer, configuration: configuration) { return agreement }
        }
        return nil
    }

    private static func accept(_ offer: ExtensionOffer, configuration: Configuration) -> Agreement? {
        var agreement = Agreement(minBytes: configuration.minBytes)
        var seen: Set<String> = []
        for parameter in offer.parameters {
            let name = parameter.name.lowercased()
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover":
                // The edge never takes context over; the client asking for it changes nothing.
                guard parameter.value == nil else { return nil }
            case "client_no_context_takeover":
                guard parameter.value == nil else { return nil }
                agreement.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = parameter.value.flatMap(windowBits) else { return nil }
                agreement.serverWindowBits = bits
                agreement.answersServerWindow = true
            case "client_max_window_bits":
                var limit = 15
                if let value = parameter.value {
                    guard let bits = windowBits(value) else { return nil }
                    limit = bits
                }
                agreement.clientWindowBits = min(limit, configuration.requestedClientWindowBits)
                agreement.answersClientWindow = true
            default:
                return nil
            }
        }
        return agreement
    }

    /// A window size as RFC 7692 §7.1.2 writes it: a decimal integer 8–15 without leading zeroes.
    private static func windowBits(_ text: String) -> Int? {
        guard (1...2).contains(text.utf8.count), text.first != "0", let bits = Int(text), (8...15).contains(bits) else { return nil }
        return bits
    }
}
