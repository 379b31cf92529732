import Bus
import Foundation
import Hummingbird
import NIOCore
import Prometheus
import SwitchboardProtocol

/// `GET /metrics`: Prometheus text of the edge and of every service (each asked for `sys.metrics` over the bus), every
/// series labelled `service`. A service that does not answer shows as `switchboard_service_up{service=…} 0`.
/// Admins and loopback callers only (a scraper on the host, or with an admin token); others get 403.
struct MetricsRoute: Sendable {
    let registry: PrometheusCollectorRegistry
    let backends: Backends
    let timeout: Duration
    let authenticator: Authenticator

    func register(on router: Router<EdgeRequestContext>) {
        router.get("metrics") { request, context -> Response in
            guard await authenticator.maySeeDetails(request, context: context) else {
                return JSONResponse.error("forbidden", "metrics need an admin token or a loopback caller", status: .forbidden)
            }
            EdgeCounters.shared.flush()
            var text = registry.emitToString()
            let answers = await withTaskGroup(of: (ServiceName, String?).self) { group in
                for (name, client) in backends.clients {
                    group.addTask { (name, try? await client.call(SystemMetrics.self, NoParams(), timeout: timeout).text) }
                }
                var answers: [(ServiceName, String?)] = []
                for await answer in group { answers.append(answer) }
                return answers.sorted { $0.0.rawValue < $1.0.rawValue }
            }
            text += "# TYPE switchboard_service_up gauge\n"
            for (name, answer) in answers {
                text += "switchboard_service_up{service=\"\(name.rawValue)\"} \(answer == nil ? 0 : 1)\n"
            }
            // One TYPE line per family across all processes (see MetricsMerge).
            text = MetricsMerge.merge([text] + answers.compactMap(\.1))
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
    }
}
