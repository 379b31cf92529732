/// The topics alarm frames travel on: every alarm on `alarm/*` and on `alarm/<channel>`, and alarmsrv's `alarm_num`
/// counts on `alarm/num`, which every alarm subscription follows (a count is about all alarms, whichever one watches).
enum AlarmTopics {
    static let all = "alarm/*"
    static let count = "alarm/num"

    static func channel(_ channel: Int) -> String { "alarm/\(channel)" }

    /// What a connection receives without asking when `SWITCHBOARD_ALARMS_TO_ALL` is on (as the old gateway did).
    static let everything = [all, count]
}
