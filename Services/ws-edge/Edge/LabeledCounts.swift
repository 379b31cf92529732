import Metrics
import Synchronization

/// Per-frame counts of one Prometheus counter with a fixed set of label values (e.g. frames in by message type): an
/// atomic per value, bumped without a lock or a metrics lookup, added to the counter by `flush()` (`EdgeCounters`).
final class LabeledCounts: Sendable {
    private final class Cell: Sendable {
        let count = Atomic<Int>(0)
        let reported = Atomic<Int>(0)
    }

    let label: String
    let dimension: String
    /// Where values outside the set are counted, so clients cannot grow the label set.
    let other: String
    private let cells: [String: Cell]

    init(label: String, dimension: String, values: some Sequence<String>, other: String) {
        self.label = label
        self.dimension = dimension
        self.other = other
        var cells: [String: Cell] = [other: Cell()]
        for value in values { cells[value] = Cell() }
        self.cells = cells
    }

    func increment(_ value: String) {
        (cells[value] ?? cells[other])?.count.wrappingAdd(1, ordering: .relaxed)
    }

    /// Adds what was counted since the last flush; one flush at a time (callers hold `EdgeCounters`' lock).
    func flush() {
        for (value, cell) in cells {
            let now = cell.count.load(ordering: .relaxed)
            let delta = now - cell.reported.exchange(now, ordering: .relaxed)
            if delta > 0 { Counter(label: label, dimensions: [(dimension, value)]).increment(by: delta) }
        }
    }
}
