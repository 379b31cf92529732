extension Duration {
    /// The duration in milliseconds, rounded to microseconds: the unit every health and latency line reports.
    public var milliseconds: Double {
        let parts = components
        let ms = Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
        return (ms * 1000).rounded() / 1000
    }
}
