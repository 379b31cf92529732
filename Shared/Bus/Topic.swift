/// Topics travel with a terminating zero byte, because ZeroMQ matches subscriptions by prefix:
/// without it a subscriber of `g/1000/1/T` would also get `g/1000/1/T,S`.
enum TopicFrame {
    static func encode(_ topic: String) -> [UInt8] {
        Array(topic.utf8) + [0]
    }

    static func decode(_ frame: ArraySlice<UInt8>) -> String {
        let bytes = frame.last == 0 ? frame.dropLast() : frame
        return String(decoding: bytes, as: UTF8.self)
    }
}
