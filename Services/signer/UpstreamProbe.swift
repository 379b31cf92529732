import Logging
import ServiceLifecycle

/// Asks the e-port client for its certificate number (`cus-sec_SpcGetCertNo`) at start and then every interval, so
/// `sys.health` shows whether the upstream answers before a caller finds out, and a dead connection is replaced early.
struct UpstreamProbe: Service {
    let pool: UpstreamPool
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // In a child task: a timeout cancels the task that asked (see `UpstreamPool.perform`), not this loop.
            await withDiscardingTaskGroup { group in
                group.addTask {
                    do {
                        let certNo = try await pool.perform(.certNo, timeout: .seconds(10)).certNo()
                        pool.recordCertNo(certNo)
                        logger.debug("upstream probe: cert no \(certNo)")
                    } catch {
                        logger.warning("upstream probe failed: \(error)")
                    }
                }
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
        }
        pool.closeAll()
    }
}
