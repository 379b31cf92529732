import CoreMetrics
import Metrics
import Prometheus

/// Metrics for one process: swift-metrics backed by a Prometheus registry, every series labelled with the process name.
///
/// The label lets the edge serve all processes' metrics in one `/metrics` scrape without name clashes.
public enum Observability {
    /// Bootstraps swift-metrics once per process and returns the registry to emit.
    public static func bootstrap(service: String) -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
        ]
        factory.nameAndLabelSanitizer = { name, labels in
            (name, labels.contains { $0.0 == "service" } ? labels : labels + [("service", service)])
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
