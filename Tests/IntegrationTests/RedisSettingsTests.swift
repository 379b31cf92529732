import Redis
import ServiceHost
import ServiceKit
import Testing

/// How `SWITCHBOARD_REDIS_*` become a `RedisConfiguration`: Sentinel turns WAIT on by default, hostile numbers are clamped.
@Suite("Redis settings")
struct RedisSettingsTests {
    @Test func withoutSentinelNothingWaits() throws {
        let configuration = try SwitchboardConfig(environment: ["SWITCHBOARD_REDIS_URL": "redis://10.0.0.5:6380/2"]).redisConfiguration()
        #expect(configuration.sentinel == nil)
        #expect(configuration.waitReplicas == 0)
        #expect(configuration.endpoint == "10.0.0.5:6380")
        #expect(configuration.database == 2)
    }

    @Test func sentinelsNameTheMasterAndAcknowledgedWritesWaitForOneReplica() throws {
        let configuration = try SwitchboardConfig(environment: [
            "SWITCHBOARD_REDIS_SENTINELS": "10.0.0.1:26379,10.0.0.2:26380", "SWITCHBOARD_REDIS_MASTER": "plant",
            "SWITCHBOARD_REDIS_WAIT_TIMEOUT_MS": "250",
        ]).redisConfiguration()
        #expect(configuration.sentinel?.masterName == "plant")
        #expect(configuration.sentinel?.sentinels.map(\.port) == [26379, 26380])
        #expect(configuration.waitReplicas == 1)
        #expect(configuration.waitTimeout == .milliseconds(250))
        #expect(configuration.label == "sentinel:plant")
    }

    @Test func hostileValuesAreClampedOrRefused() throws {
        let clamped = try SwitchboardConfig(environment: [
            "SWITCHBOARD_REDIS_WAIT_REPLICAS": "-3", "SWITCHBOARD_REDIS_WAIT_TIMEOUT_MS": "0",
        ]).redisConfiguration()
        #expect(clamped.waitReplicas == 0)
        #expect(clamped.waitTimeout == .milliseconds(1))
        #expect(throws: (any Error).self) {
            try SwitchboardConfig(environment: ["SWITCHBOARD_REDIS_SENTINELS": "a:b:c:d"]).redisConfiguration()
        }
        #expect(throws: (any Error).self) {
            try SwitchboardConfig(environment: ["SWITCHBOARD_REDIS_SENTINELS": "10.0.0.1", "SWITCHBOARD_REDIS_MASTER": "x y"])
                .redisConfiguration()
        }
    }
}
