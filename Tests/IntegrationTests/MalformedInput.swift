import Foundation
import OpenSSLCrypto
import TestSupport

/// SplitMix64: a tiny, fast generator whose whole state is one seed, so a failing bad-input run is reproduced exactly by
/// printing that seed and running it again.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One malformed client frame and what the edge must answer: an `error` frame on the still-open connection, or the
/// close code the protocol documents for frames that cannot be read at all.
struct MalformedFrame: Sendable {
    enum Expectation: Sendable, Equatable {
        /// An `error` frame (for `control`, a failed `control_ack`: that handler answers every command with an ack).
        case errorFrame
        /// An `error` frame, or the connection closed with one of these codes (invalid UTF-8 may be refused at the
        /// WebSocket layer with 1007 instead of reaching the JSON parser).
        case errorFrameOrClose(Set<Int>)
        /// The connection is closed with one of these codes (oversized → 1009, protocol violations → 1002).
        case close(Set<Int>)
    }

    let category: String
    /// The client message `type` the frame pretends to be, when it has one (`control` is answered differently).
    let messageType: String?
    let opcode: UInt8
    let payload: [UInt8]
    let expectation: Expectation
    /// A frame sent as is (bad opcode, reserved bits, unmasked), instead of a masked frame built from `payload`.
    let rawFrame: [UInt8]?

    init(
        _ category: String, type: String? = nil, opcode: UInt8 = 0x1, payload: [UInt8], expect: Expectation = .errorFrame,
        rawFrame: [UInt8]? = nil
    ) {
        self.category = category
        messageType = type
        self.opcode = opcode
        self.payload = payload
        expectation = expect
        self.rawFrame = rawFrame
    }

    init(_ category: String, type: String? = nil, text: String) {
        self.init(category, type: type, payload: Array(text.utf8))
    }
}

/// One malformed HTTP request and the error shape it must get: any 4xx with a JSON body carrying `code`; `/getCode`
/// answers in the bridge's own `{"code":400,"msg":…,"data":false}`.
struct MalformedRequest: Sendable {
    enum Shape: Sendable { case standard, getCode }

    let category: String
    let method: String
    let path: String
    let body: [UInt8]
    let contentType: String
    let bearer: String?
    let shape: Shape
}

/// Builds the bad-input corpus from a seed: every way a frame or a body can be wrong that the protocol (DESIGN.md §3,
/// §4, §8) promises a clear error for. The same seed always builds the same corpus.
struct MalformedInputGenerator {
    static let aesKey = AES.mysqlFoldedKey("1234567887654321")

    private var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    // MARK: Values

    /// JSON values of every kind that is wrong for a field of `expected` kind ("string", "int", "array", "object").
    private static func wrongValues(for expected: String, optional: Bool) -> [String] {
        var values = [#"{"x":1}"#, "{}"]
        if !optional { values.append("null") }
        switch expected {
        case "string":
            values += ["42", "-7", "1.5", "true", "false", "18446744073709551616", "1e400", "-1e400", "[]", #"["a"]"#, #"[[["deep"]]]"#]
        case "int":
            values += [
                #""1000""#, #""""#, "1.5", "0.25", "-0.5", "true", "false", "18446744073709551616", "-9223372036854775809",
                "123456789012345678901234567890", "1e400", "-1e400", "[]", "[1]", #"[[["deep"]]]"#,
            ]
        case "array": values += [#""1001""#, "42", "1.5", "true", "1e400", "18446744073709551616", #"{"0":1}"#]
        case "stringArray": values += [#""T""#, "42", "true", "1e400", "[1]", "[null]", "[[]]", "[true]", #"[[["deep"]]]"#]
        case "intArray":
            values += [
                #""1""#, "42", "true", "1e400", #"["a"]"#, "[1.5]", "[18446744073709551616]", "[1e400]", "[null]", "[{}]", "[true]",
                #"[[["deep"]]]"#,
            ]
        // Control values: a number or a boolean is a valid value, so only non-finite numbers and other kinds are wrong.
        case "number": values += [#""x""#, #""0""#, "[]", "[0]", "1e400", "-1e400", "1" + String(repeating: "0", count: 400)]
        default: break
        }
        return values
    }

    /// `(type, field, kind, optional)` for every field a handler decodes strictly (DESIGN.md §3). `ping`, `heartbeat` and
    /// `unsubscribe_alarms` read no `data` (any `data` is ignored), so they have no field to get wrong.
    private static let fields: [(type: String, field: String, kind: String, optional: Bool)] = [
        ("subscribe", "channels", "array", false), ("subscribe", "data_types", "stringArray", true),
        ("subscribe", "interval", "int", true), ("subscribe", "source", "string", true),
        ("unsubscribe", "channels", "intArray", true),
        ("subscribe_alarms", "channels", "intArray", true),
        ("control", "channel_id", "int", false), ("control", "point_id", "int", false), ("control", "value", "number", false),
        ("control", "command_type", "string", true), ("control", "type", "string", true), ("control", "source", "string", true),
        ("control", "reason", "string", true),
        ("join_room", "room", "string", false), ("join_room", "since", "string", true),
        ("leave_room", "room", "string", false),
        ("chat_message", "room", "string", false), ("chat_message", "content", "string", false),
        ("get_history", "room", "string", true), ("get_history", "limit", "int", true), ("get_history", "before", "string", true),
        ("clear_history", "room", "string", true),
        ("ask_question", "question", "string", false),
        ("get_suggestions", "prefix", "string", false), ("get_suggestions", "limit", "int", true),
        ("permission_check", "permission", "string", false),
    ]

    /// A well-formed `data` for each type, as JSON members, so only the mutated field is wrong.
    private static let validData: [String: [String: String]] = [
        "subscribe": ["channels": "[1001]", "data_types": #"["T"]"#, "interval": "1000", "source": #""comsrv""#],
        "unsubscribe": ["channels": "[1001]"],
        "subscribe_alarms": ["channels": "[1001]"],
        "control": [
            "channel_id": "2001", "point_id": "20", "value": "0", "command_type": #""set_value""#, "type": #""A""#, "source": #""comsrv""#,
            "reason": #""fuzz""#,
        ],
        "join_room": ["room": #""fuzz-room""#, "since": #""0-0""#],
        "leave_room": ["room": #""fuzz-room""#],
        "chat_message": ["room": #""fuzz-room""#, "content": #""hello""#],
        "get_history": ["room": #""fuzz-room""#, "limit": "10", "before": #""9999999999999-0""#],
        "clear_history": ["room": #""fuzz-room""#],
        "ask_question": ["question": #""what is the voltage?""#],
        "get_suggestions": ["prefix": #""wha""#, "limit": "5"],
        "permission_check": ["permission": #""menu.view""#],
    ]

    /// Types whose `data` is required (a missing or null `data` is an error, not an empty request).
    private static let dataRequired: Set<String> = [
        "subscribe", "control", "join_room", "leave_room", "chat_message", "ask_question", "get_suggestions", "permission_check",
    ]

    /// Values a handler rejects although their JSON type is right.
    private static let badValues: [(type: String, field: String, value: String)] = [
        ("subscribe", "interval", "99"), ("subscribe", "interval", "0"), ("subscribe", "interval", "-1000"), ("subscribe", "interval", "3600001"),
        ("subscribe", "interval", "9223372036854775807"), ("subscribe", "data_types", "[]"), ("subscribe", "data_types", #"["X"]"#),
        ("subscribe", "data_types", #"["t"]"#), ("subscribe", "source", #""""#), ("subscribe", "source", #""a b""#),
        ("subscribe", "source", #""../etc""#), ("subscribe", "source", "\"\(String(repeating: "s", count: 33))\""),
        ("subscribe", "channels", "[]"), ("control", "type", #""X""#), ("control", "type", #""T""#),
        ("ask_question", "question", #""""#), ("permission_check", "permission", #""a b c""#), ("permission_check", "permission", #""""#),
    ]

    private static func object(_ members: [String: String]) -> String {
        "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }

    private static func frame(_ type: String, id: String, data: String?) -> String {
        var members = ["type": "\"\(type)\"", "id": "\"\(id)\""]
        if let data { members["data"] = data }
        return object(members)
    }

    private mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }

    private mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }

    private mutating func garbage(_ count: Int, printable: Bool) -> [UInt8] {
        (0..<count).map { _ in printable ? UInt8(int(32..<127)) : UInt8(truncatingIfNeeded: random.next()) }
    }

    // MARK: WebSocket frames

    /// At least `count` frames answered by an `error` frame on the same connection, in a seeded order.
    mutating func pipelinedFrames(count: Int) -> [MalformedFrame] {
        var frames: [MalformedFrame] = []
        var serial = 0
        func nextID() -> String {
            serial += 1
            return "fz\(serial)"
        }
        // One of each systematic case first, so every field and type is covered whatever `count` is.
        for (type, field, kind, optional) in Self.fields {
            for value in Self.wrongValues(for: kind, optional: optional) {
                var members = Self.validData[type] ?? [:]
                members[field] = value
                frames.append(.init("wrong_type:\(type).\(field)", type: type, text: Self.frame(type, id: nextID(), data: Self.object(members))))
            }
        }
        for (type, field, value) in Self.badValues {
            var members = Self.validData[type] ?? [:]
            members[field] = value
            frames.append(.init("bad_value:\(type).\(field)", type: type, text: Self.frame(type, id: nextID(), data: Self.object(members))))
        }
        for type in Self.validData.keys.sorted() {
            for data in ["42", #""x""#, "[]", "true", "[{}]", "-1e400"] {
                frames.append(.init("data_not_object", type: type, text: Self.frame(type, id: nextID(), data: data)))
            }
            if Self.dataRequired.contains(type) {
                frames.append(.init("data_missing", type: type, text: Self.frame(type, id: nextID(), data: nil)))
                frames.append(.init("data_null", type: type, text: Self.frame(type, id: nextID(), data: "null")))
                frames.append(.init("data_empty", type: type, text: Self.frame(type, id: nextID(), data: "{}")))
            }
        }
        for depth in [600, 2_000, 10_000] {
            let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
            frames.append(.init("deep_nesting", type: "subscribe", text: Self.frame("subscribe", id: nextID(), data: arrays)))
            frames.append(.init("deep_nesting", type: "join_room", text: Self.frame("join_room", id: nextID(), data: objects)))
            frames.append(.init("deep_nesting", text: arrays))
            frames.append(.init("deep_nesting", text: #"{"type":"ping","id":"x","data":"# + objects))
        }
        let fixed = [
            "", " ", "\n\t ", "{", "}", "[", "{}", "[]", "null", "true", "0", "-0", "1e400", "18446744073709551616", #""subscribe""#,
            #"{"type":null}"#, #"{"type":42}"#, #"{"type":[]}"#, #"{"type":{}}"#, #"{"type":true}"#, #"{"type":""}"#,
            #"{"type":1e400}"#, #"{"id":"only-id"}"#, #"{"data":{}}"#, #"{"type":"ping","id":[]}"#, #"{"type":"ping","id":{}}"#,
            #"{"type":"ping","id":true}"#, #"{"type":"ping","id":1.5}"#, #"{"type":"ping","id":18446744073709551616}"#,
            #"{"type":"ping","id":1e400}"#, #"{"type":"subscribe" "id":"x"}"#, #"{'type':'ping'}"#, #"{type:"ping"}"#,
            #"{"type":"ping"}}"#, #"{"type":"ping"} {"type":"ping"}"#, #"{"type":"pi\ng"}"#,
            #"{"type":"\ud800"}"#, #"{"type":"ping\u0000"}"#, "\u{FEFF}{\"type\":\"zz\"}", #"{"type":"SUBSCRIBE","id":"x"}"#,
            #"{"type":"subscribe ","id":"x"}"#, #"{"type":" ping","id":"x"}"#, #"{"type":"__proto__","id":"x"}"#,
            #"{"type":"connection_established","id":"x"}"#, #"{"type":"heartbeat_ack","id":"x"}"#,
        ]
        for text in fixed { frames.append(.init("fixed", text: text)) }

        // Then seeded random cases until `count`.
        let templates = Self.validData.keys.sorted().map { type in
            Self.frame(type, id: "t", data: Self.object(Self.validData[type] ?? [:]))
        }
        while frames.count < count {
            switch int(0..<8) {
            case 0:
                let template = Array(pick(templates).utf8)
                frames.append(.init("truncated", payload: Array(template.prefix(int(1..<template.count)))))
            case 1:
                frames.append(.init("garbage", payload: garbage(int(1..<200), printable: true)))
            case 2:
                let name = String(decoding: garbage(int(1..<24), printable: true), as: UTF8.self)
                    .replacingOccurrences(of: "\\", with: "").replacingOccurrences(of: "\"", with: "")
                frames.append(.init("unknown_type", text: Self.frame("zz_" + name, id: nextID(), data: "{}")))
            case 3:
                let (type, field, kind, optional) = pick(Self.fields)
                var members = Self.validData[type] ?? [:]
                members[field] = pick(Self.wrongValues(for: kind, optional: optional))
                frames.append(.init("wrong_type:\(type).\(field)", type: type, text: Self.frame(type, id: nextID(), data: Self.object(members))))
            case 4:
                let value = pick(["1e400", "-1e999", "18446744073709551616", "-9223372036854775809", "1" + String(repeating: "0", count: 400)])
                let (type, field, _, _) = pick(Self.fields.filter { $0.kind == "int" })
                var members = Self.validData[type] ?? [:]
                members[field] = value
                frames.append(.init("huge_number", type: type, text: Self.frame(type, id: nextID(), data: Self.object(members))))
            case 5:
                // A valid frame with one byte flipped into a structural character.
                var bytes = Array(pick(templates).utf8)
                bytes[int(0..<2)] = pick(Array("]}:,".utf8))
                frames.append(.init("corrupted", payload: bytes))
            case 6:
                let type = pick(Array(Self.dataRequired).sorted())
                frames.append(
                    .init("data_not_object", type: type, text: Self.frame(type, id: nextID(), data: pick(["0", #""""#, "[null]", "false"]))))
            default:
                let inner = String(repeating: "[", count: int(513..<3000))
                frames.append(.init("deep_nesting", text: #"{"type":"subscribe","id":"d","data":{"channels":"# + inner))
            }
        }
        return frames
    }

    /// Text frames whose bytes are not UTF-8; after any repair they are still not a valid request.
    mutating func invalidUTF8Frames(count: Int) -> [MalformedFrame] {
        let bad: [[UInt8]] = [
            [0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x80], [0xF4, 0x90, 0x80, 0x80],
        ]
        return (0..<count).map { index in
            let sequence = bad[index % bad.count]
            let payload: [UInt8]
            switch index % 4 {
            case 0: payload = sequence + Array(#"{"type":"ping"}"#.utf8)
            case 1: payload = Array(#"{"type":"pi"#.utf8) + sequence + Array(#"ng","id":"u"}"#.utf8)
            case 2: payload = Array(#"{"type":"chat_message","id":"u","data":{"room":"#.utf8) + sequence + Array("}}".utf8)
            default: payload = Array(#"{"type":"zz","id":"u"}"#.utf8) + sequence
            }
            return MalformedFrame("invalid_utf8", payload: payload, expect: .errorFrameOrClose([1007]))
        }
    }

    /// Frames that must close their own connection: over the 64 KiB limit (1009), or not a legal client frame (1002).
    mutating func closingFrames() -> [MalformedFrame] {
        var frames: [MalformedFrame] = []
        for size in [65_537, 70_000, 100_000, 200_000] {
            var text = #"{"type":"chat_message","id":"big","data":{"room":"r","content":""#
            text += String(repeating: "x", count: size - text.utf8.count - 3) + "\"}}"
            frames.append(.init("oversized", payload: Array(text.utf8), expect: .close([1009])))
            frames.append(.init("oversized", opcode: 0x2, payload: garbage(size, printable: false), expect: .close([1009])))
        }
        for opcode: UInt8 in [0x3, 0x7, 0xB, 0xF] {
            frames.append(.init("bad_opcode", payload: [], expect: .close([1002]), rawFrame: Self.masked([0x7B, 0x7D], first: 0x80 | opcode)))
        }
        frames.append(.init("reserved_bits", payload: [], expect: .close([1002]), rawFrame: Self.masked([0x7B, 0x7D], first: 0xC1)))
        // RFC 6455 §5.1: a server must close on an unmasked client frame.
        frames.append(.init("unmasked", payload: [], expect: .close([1002]), rawFrame: [0x81, 0x02, 0x7B, 0x7D]))
        // A control frame longer than 125 bytes and a fragmented ping are both protocol errors.
        frames.append(
            .init("long_control", payload: [], expect: .close([1002]), rawFrame: Self.masked([UInt8](repeating: 0x41, count: 126), first: 0x89)))
        frames.append(.init("fragmented_control", payload: [], expect: .close([1002]), rawFrame: Self.masked([0x41], first: 0x09)))
        return frames
    }

    private static func masked(_ payload: [UInt8], first: UInt8) -> [UInt8] {
        WebSocketFrame.masked(payload, first: first)
    }

    // MARK: HTTP bodies

    /// At least `count` requests, spread over the routes that read a body.
    mutating func requests(count: Int, adminToken: String) -> [MalformedRequest] {
        var requests: [MalformedRequest] = []
        func add(_ category: String, _ method: String, _ path: String, _ body: [UInt8], token: String? = nil, type: String = "application/json") {
            requests.append(.init(category: category, method: method, path: path, body: body, contentType: type, bearer: token, shape: .standard))
        }
        func getCode(_ category: String, _ body: [UInt8]) {
            requests.append(
                .init(
                    category: category, method: "POST", path: "/getCode", body: body, contentType: pick(["text/plain", "application/json"]),
                    bearer: nil, shape: .getCode))
        }
        let credentialsWrong: [String] = Self.wrongValues(for: "string", optional: false)
        let menuFields: [(String, String)] = [
            ("name", "string"), ("icon", "string"), ("url", "string"), ("sort_order", "int"), ("is_active", "bool"), ("parent", "string"),
            ("required_permission", "string"), ("reason", "string"), ("key", "string"),
        ]
        let generic = [
            "", "{", "}", "[]", "[1,2]", "null", "42", #""text""#, "true", "1e400", #"{"a":"#, "{\"username\":\"u\"",
            #"{'username':'u','password':'p'}"#, String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000),
            String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000),
        ]
        var round = 0
        while requests.count < count {
            round += 1
            for path in ["/api/auth/login", "/api/auth/register"] {
                for text in generic where round == 1 { add("auth_not_credentials", "POST", path, Array(text.utf8)) }
                let field = pick(["username", "password"])
                var members = ["username": "\"fuzz\(int(0..<1_000_000))\"", "password": #""correct-horse-battery""#]
                members[field] = pick(credentialsWrong)
                if int(0..<4) == 0 { members[pick(["username", "password"])] = nil }
                add("auth_wrong_type", "POST", path, Array(Self.object(members).utf8))
                add("auth_garbage", "POST", path, garbage(int(1..<300), printable: int(0..<2) == 0))
                let template = Array(Self.object(["username": #""someone""#, "password": #""secret""#]).utf8)
                add("auth_truncated", "POST", path, Array(template.prefix(int(1..<template.count))))
            }
            // Menu writes as an admin: every field of the wrong type, name missing, bodies that are not JSON.
            let (field, kind) = pick(menuFields)
            var menu = ["name": #""Fuzz""#, "sort_order": "1", "is_active": "true"]
            menu[field] = kind == "bool" ? pick([#""yes""#, "1", "[]", "{}", "1e400"]) : pick(Self.wrongValues(for: kind, optional: true))
            add("menu_wrong_type", "PUT", "/api/menu/fuzz\(int(0..<50))", Array(Self.object(menu).utf8), token: adminToken)
            add(
                "menu_not_json", "PUT", "/api/menu/fuzz", int(0..<2) == 0 ? garbage(int(1..<200), printable: true) : Array(pick(generic).utf8),
                token: adminToken)
            add("menu_no_name", "PUT", "/api/menu/fuzz", Array(#"{"icon":"x","sort_order":1}"#.utf8), token: adminToken)
            // Broadcasts as an admin: not an object, or a topic or type the scheduler refuses.
            let broadcast = pick([
                pick(generic), #"{"topic":"nowhere","data":{}}"#, #"{"topic":"users/x"}"#, #"{"topic":"","type":"notice"}"#,
                #"{"type":"Not-Valid","topic":"all"}"#, #"{"type":"a b","topic":"all"}"#,
                "{\"type\":\"\(String(repeating: "a", count: 33))\"}", #"{"type":"","topic":"all"}"#,
            ])
            add("broadcast_invalid", "POST", "/api/v1/broadcast", Array(broadcast.utf8), token: adminToken)
            add("broadcast_garbage", "POST", "/api/v1/broadcast", garbage(int(1..<200), printable: int(0..<2) == 0), token: adminToken)
            // /getCode: every layer of its format broken in turn.
            getCode("getcode_odd_length", Array(Hex.encode(garbage(int(1..<64), printable: false), uppercase: true).dropLast().utf8))
            getCode("getcode_not_hex", Array((Hex.encode(garbage(16, printable: false), uppercase: true) + pick(["ZZ", "G0", "  ", "--"])).utf8))
            getCode("getcode_not_blocks", Array(Hex.encode(garbage(pick([1, 15, 17, 31, 33]), printable: false), uppercase: true).utf8))
            getCode("getcode_random_cipher", Array(Hex.encode(garbage(16 * int(1..<8), printable: false), uppercase: true).utf8))
            getCode("getcode_wrong_key", encrypt(#"{"str":"abc","pwdstr":"88888888"}"#, key: garbage(16, printable: true)))
            getCode("getcode_not_json", encrypt(pick(["hello", "{", "str=abc&pwdstr=1", "", "[\"str\"]", "null", "42"]), key: Self.aesKey))
            let wrong = pick(["5", "null", "[]", "{}", "true", #""""#, "1e400", "18446744073709551616"])
            let getCodeBody = pick([
                #"{"str":\#(wrong),"pwdstr":"88888888"}"#, #"{"str":"abc","pwdstr":\#(wrong)}"#, #"{"str":"abc"}"#, #"{"pwdstr":"1"}"#, "{}",
            ])
            getCode("getcode_wrong_types", encrypt(getCodeBody, key: Self.aesKey))
            getCode(
                "getcode_not_utf8",
                Array(Hex.encode((try? AES.encrypt([0xFF, 0xFE, 0x7B], key: Self.aesKey, mode: .ecb)) ?? [], uppercase: false).utf8))
            if round == 1 {
                getCode("getcode_empty", [])
                getCode("getcode_whitespace", Array("  \n ".utf8))
                getCode("getcode_unicode", Array("ＡＢＣＤ".utf8))
                getCode("getcode_huge", Array(String(repeating: "AB", count: 300_000).utf8))
                add("body_too_large", "POST", "/api/auth/login", [UInt8](repeating: 0x20, count: (1 << 20) + 10))
            }
        }
        return requests
    }

    private func encrypt(_ text: String, key: [UInt8]) -> [UInt8] {
        let cipher = (try? AES.encrypt(Array(text.utf8), key: key, mode: .ecb)) ?? []
        return Array(Hex.encode(cipher, uppercase: true).utf8)
    }
}
