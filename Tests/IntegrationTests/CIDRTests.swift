import ServiceKit
import Testing

/// The address and range types behind `SWITCHBOARD_TRUSTED_PROXIES`, the blocklist and the per-IP counts.
@Suite("IP addresses and CIDR ranges")
struct CIDRTests {
    @Test func addressesHaveOneSpellingAndIPv6IsCountedPerSlash64() {
        #expect(IPAddress("2001:DB8:0:0::1")?.description == "2001:db8::1")
        #expect(IPAddress(" 10.0.0.1 ")?.description == "10.0.0.1")
        #expect(IPAddress("::ffff:10.0.0.1")?.description == "10.0.0.1", "IPv4-mapped IPv6 is plain IPv4")
        for bad in ["", "10.0.0.256", "1.2.3", "2001:db8:::1", "10.0.0.0/8", "10.0.0.1:80", "unknown", String(repeating: "1", count: 100)] {
            #expect(IPAddress(bad) == nil, "\(bad.prefix(20))")
        }
        #expect(IPAddress("2001:db8:1:2:aaaa:bbbb:cccc:dddd")?.policyKey == "2001:db8:1:2::/64")
        #expect(IPAddress("2001:db8:1:2::1")?.policyKey == IPAddress("2001:db8:1:2:ffff::9")?.policyKey)
        #expect(IPAddress("2001:db8:1:3::1")?.policyKey != IPAddress("2001:db8:1:2::1")?.policyKey)
        #expect(IPAddress("192.0.2.1")?.policyKey == "192.0.2.1")
        #expect(IPAddress.key("2001:db8:1:2::/64") == "2001:db8:1:2::/64", "a key maps to itself")
        #expect(IPAddress.key("unknown") == "unknown")
        #expect(IPAddress("127.0.0.9")?.isLoopback == true)
        #expect(IPAddress("::1")?.isLoopback == true)
        #expect(IPAddress("10.0.0.1")?.isLoopback == false)
        #expect(IPAddress("::2")?.isLoopback == false)
    }

    @Test func rangesParseMaskAndMatchWithinTheirFamily() throws {
        let eight = try #require(CIDR("10.1.2.3/8"))
        #expect(eight.description == "10.0.0.0/8", "host bits are cleared")
        #expect(eight == CIDR("10.0.0.0/8"))
        #expect(eight.contains(IPAddress("10.255.0.1")!))
        #expect(!eight.contains(IPAddress("11.0.0.1")!))
        #expect(eight.contains(IPAddress("::ffff:10.9.9.9")!), "a mapped client matches the IPv4 range")
        #expect(!eight.contains(IPAddress("::a01:203")!), "never across families")
        #expect(CIDR("127.0.0.1")?.prefixLength == 32)
        #expect(CIDR("::1")?.prefixLength == 128)
        let odd = try #require(CIDR("192.168.5.77/21"))
        #expect(odd.description == "192.168.0.0/21")
        #expect(odd.contains(IPAddress("192.168.7.255")!))
        #expect(!odd.contains(IPAddress("192.168.8.0")!))
        let v6 = try #require(CIDR("fd00::/8"))
        #expect(v6.contains(IPAddress("fd12:3456::1")!))
        #expect(!v6.contains(IPAddress("fe80::1")!))
        #expect(CIDR("0.0.0.0/0")?.contains(IPAddress("203.0.113.1")!) == true)
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "/8", "10.0.0.0/ 8", "10.0.0.0/0x8", "x/8"] {
            #expect(CIDR(bad) == nil, "\(bad)")
        }
    }

    @Test func aListIsCommaOrSpaceSeparatedAndNamesItsBadEntry() throws {
        #expect(try CIDR.list("").isEmpty)
        let list = try CIDR.list("10.0.0.0/8, 127.0.0.1 fd00::/8")
        #expect(list.map(\.description) == ["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"])
        #expect(list.contains(IPAddress("127.0.0.1")!))
        #expect(!list.contains(IPAddress("127.0.0.2")!))
        #expect(throws: CIDR.Invalid.self) { try CIDR.list("10.0.0.0/8,nonsense") }
        do {
            _ = try CIDR.list("10.0.0.0/8,nonsense")
        } catch {
            #expect(error.description.contains("nonsense"))
        }
    }
}
