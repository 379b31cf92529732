import Synchronization

/// A boolean written by a poll thread and read from anywhere.
final class SharedFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set(_ newValue: Bool) { value.store(newValue, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
