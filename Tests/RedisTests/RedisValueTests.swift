import Redis
import Testing

@Suite struct RedisValueTests {
    @Test func accessors() {
        #expect(RedisValue.string(Array("42".utf8)).int == 42)
        #expect(RedisValue.string(Array("hi".utf8)).text == "hi")
        #expect(RedisValue.string([0xFF, 0xFE]).text == nil)
        #expect(RedisValue.integer(7).int == 7)
        #expect(RedisValue.integer(7).text == nil)
        #expect(RedisValue.null.isNull)
        #expect(!RedisValue.integer(0).isNull)
        #expect(RedisValue.array([.integer(1)]).array == [.integer(1)])
        #expect(RedisValue.error("ERR x").array == nil)
    }

    @Test func configurationFromURL() throws {
        let plain = try RedisConfiguration(url: "redis://10.0.0.5")
        #expect(plain.host == "10.0.0.5" && plain.port == 6379 && plain.database == 0 && plain.password == nil)

        let full = try RedisConfiguration(url: "redis://:s%40cret@cache.local:6390/3")
        #expect(full.host == "cache.local" && full.port == 6390 && full.database == 3 && full.password == "s@cret")
        #expect(full.username == nil)

        let acl = try RedisConfiguration(url: "redis://app:pw@[::1]:7000/")
        #expect(acl.host == "::1" && acl.port == 7000 && acl.username == "app" && acl.password == "pw")
        #expect(acl.endpoint == "[::1]:7000")

        #expect(throws: RedisConfiguration.URLError.self) { try RedisConfiguration(url: "http://x") }
        #expect(throws: RedisConfiguration.URLError.self) { try RedisConfiguration(url: "redis://host:notaport") }
        #expect(throws: RedisConfiguration.URLError.self) { try RedisConfiguration(url: "redis://host/x") }
        #expect(throws: RedisConfiguration.URLError.self) { try RedisConfiguration(url: "redis://") }
        do {
            _ = try RedisConfiguration(url: "rediss://:topsecret@h")
        } catch {
            #expect(!"\(error)".contains("topsecret"))
        }
    }
}
