import Foundation

/// Wall-clock Unix seconds, the unit of every timestamp the menu service stores and answers (`updated_at`, change
/// log, `menu:meta`), in one place so they all agree.
enum UnixTime {
    static var now: Int { Int(Date().timeIntervalSince1970) }
}
