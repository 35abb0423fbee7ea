import Foundation
import GeoFilterTestSupport
import Testing

@Suite("geofilter-demo with trusted and provider host names")
struct NameCommandTests {
    let spec = "ipfire:\(TestEnvironment.fixture("ipfire/geoip")),\(TestEnvironment.fixture("ipfire/geoip6"))"
    static let zone = """
        sip.example.net A 192.0.2.10
        sip.example.net AAAA 2001:db8::10
        admin.example.cn A 1.0.1.5
        _sip._udp.example.com SRV 10 60 5060 sip1.example.com
        sip1.example.com A 198.51.100.1
        """

    @Test("plan and explain resolve --provider and --trusted names through --nameserver")
    func resolves() throws {
        let server = try DNSServer(zone: Self.zone)
        defer { server.stop() }
        let common = ["--block", "CN", "--provider", "sip.example.net", "--provider", "_sip._udp.example.com", "--nameserver", server.address, "--source", spec]
        let summary = try DemoProcess.demo(["plan"] + common)
        #expect(summary.status == 0, "\(summary.standardError)")
        #expect(summary.standardOutput.contains("\nprovider sip.example.net -> 192.0.2.10, 2001:db8::10\n"), "\(summary.standardOutput)")
        #expect(summary.standardOutput.contains("\nprovider _sip._udp.example.com -> 198.51.100.1 (SRV sip1.example.com:5060)\n"))
        #expect(summary.standardError.isEmpty, "\(summary.standardError)")

        let json = try DemoProcess.demo(["plan"] + common + ["--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let names = try #require(object["names"] as? [[String: Any]])
        #expect(names.map { $0["name"] as? String } == ["sip.example.net", "_sip._udp.example.com"])
        #expect(names.first?["addresses"] as? [String] == ["192.0.2.10", "2001:db8::10"])

        let nft = try DemoProcess.demo(["plan"] + common + ["--format", "nft"])
        #expect(nft.standardOutput.contains("198.51.100.1"), "\(nft.standardOutput)")

        let explain = try DemoProcess.demo(["explain", "2001:db8::10"] + common)
        #expect(explain.status == 0, "\(explain.standardError)")
        let lines = explain.standardOutput.split(separator: "\n")
        #expect(lines.first == "2001:db8::10\taccept\tprovider 2001:db8::10/128")
        #expect(lines.contains("name\tprovider sip.example.net"))
    }

    @Test("A trusted or provider address in a blocked country is a warning on standard error")
    func blockedCountryWarning() throws {
        let server = try DNSServer(zone: Self.zone)
        defer { server.stop() }
        let result = try DemoProcess.demo(["plan", "--block", "CN", "--trusted", "admin.example.cn", "--nameserver", server.address, "--source", spec, "--format", "nft"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(
            result.standardError
                == "geofilter-demo: warning: trusted admin.example.cn (1.0.1.5) is in CN, a blocked country: it passes anyway, because the trusted rule comes before the geo rule\n")
    }

    @Test("--names-cache keeps the last good addresses when a lookup fails, and says so")
    func cache() throws {
        let server = try DNSServer(zone: Self.zone)
        defer { server.stop() }
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = folder.appendingPathComponent("names.json").path
        let arguments = ["plan", "--block", "CN", "--provider", "sip.example.net", "--nameserver", server.address, "--names-cache", cache, "--source", spec]
        let first = try DemoProcess.demo(arguments)
        #expect(first.status == 0 && first.standardError.isEmpty, "\(first.standardError)")
        #expect(FileManager.default.fileExists(atPath: cache))

        try server.setZone("sip.example.net NXDOMAIN\n")
        let second = try DemoProcess.demo(arguments)
        #expect(second.status == 0, "\(second.standardError)")
        #expect(second.standardError.contains("geofilter-demo: warning: lookup of sip.example.net failed: sip.example.net does not exist (NXDOMAIN); keeping 192.0.2.10, 2001:db8::10"))
        #expect(second.standardOutput.contains("provider sip.example.net -> 192.0.2.10, 2001:db8::10 (kept from "), "\(second.standardOutput)")
        #expect(second.standardOutput.split(separator: "\n").first == first.standardOutput.split(separator: "\n").first, "same addresses, same digest")

        // Without the cache, the name has no address: the plan still compiles and says so.
        let uncached = try DemoProcess.demo(Array(arguments.prefix(7)) + ["--source", spec])
        #expect(uncached.status == 0)
        #expect(uncached.standardError.contains("lookup of sip.example.net failed") && uncached.standardError.contains("nothing passes for it"))
    }

    @Test("Policy files may name hosts; invalid names are refused with the entry named")
    func policyFiles() throws {
        let server = try DNSServer(zone: Self.zone)
        defer { server.stop() }
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("policy.json").path
        try #"{"mode":"blockSelected","selections":[{"country":"CN"}],"trusted":["10.0.0.0/8"],"providers":["sip.example.net"],"scope":{"rules":[]},"directions":["input"],"enabled":true}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let explain = try DemoProcess.demo(["explain", "192.0.2.10", "--policy-file", file, "--nameserver", server.address, "--source", spec])
        #expect(explain.standardOutput.hasPrefix("192.0.2.10\taccept\tprovider 192.0.2.10/32\n"), "\(explain.standardOutput)\(explain.standardError)")

        let bad = try DemoProcess.demo(["plan", "--block", "CN", "--provider", "sip_trunk.example.net", "--source", spec])
        #expect(bad.status == 1)
        #expect(bad.standardError.hasPrefix("geofilter-demo: error: provider entry 'sip_trunk.example.net' is not a valid DNS name"), "\(bad.standardError)")
        let badServer = try DemoProcess.demo(["plan", "--block", "CN", "--provider", "sip.example.net", "--nameserver", "dns.example.net", "--source", spec])
        #expect(badServer.status == 1 && badServer.standardError.contains("name server"), "\(badServer.standardError)")
    }
}
