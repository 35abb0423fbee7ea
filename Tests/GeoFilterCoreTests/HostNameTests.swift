import Foundation
@testable import GeoFilterCore
import Testing

/// A resolver with fixed answers (or failures), for the policy and plan side of names.
private struct FixedResolver: HostNameResolver {
    var answers: [String: Result<HostResolution, GeoFilterError>]

    func resolve(_ name: HostEntry) throws(GeoFilterError) -> HostResolution {
        guard let answer = answers[name.description] else { throw GeoFilterError(.network, "\(name) does not exist (NXDOMAIN)") }
        return try answer.get()
    }
}

private func addresses(_ texts: String...) -> [IPAddress] { texts.map { try! IPAddress(parsing: $0) } }

@Suite("Host names in policies")
struct HostNameTests {
    let database: GeoDatabase

    init() throws {
        database = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
    }

    @Test("Host and SRV names are checked and normalised", arguments: [
        ("sip.example.net", "sip.example.net", false), ("SIP.Example.NET.", "sip.example.net", false),
        ("xn--bcher-kva.example", "xn--bcher-kva.example", false), ("a-1.b2.example.com", "a-1.b2.example.com", false),
        ("_sip._udp.example.com", "_sip._udp.example.com", true), ("_SIP._TCP.Trunk.Example.com.", "_sip._tcp.trunk.example.com", true),
        ("_sips._tcp.example.com", "_sips._tcp.example.com", true),
    ])
    func validNames(text: String, canonical: String, isService: Bool) throws {
        let entry = try HostEntry(parsing: text)
        #expect(entry.description == canonical)
        #expect(entry.isService == isService)
        #expect(try HostEntry(parsing: entry.description) == entry)
    }

    @Test("Invalid names are refused, naming the entry and what is wrong", arguments: [
        ("sip..example.net", "empty label"), (".sip.example.net", "empty label"), ("-sip.example.net", "hyphen"),
        ("sip-.example.net", "hyphen"), ("sip_trunk.example.net", "'_'"), ("sip example.net", "' '"), ("pbx", "fully qualified"),
        ("sip.example.123", "all digits"), (String(repeating: "a", count: 64) + ".example.net", "64 characters"),
        (Array(repeating: "abcdefghi", count: 26).joined(separator: "."), "at most 253"), ("sip.exämple.net", "byte 0xc3"),
        ("_sip._sctp.example.com", "SRV service name"), ("_sip.example.com", "SRV service name"), ("_._udp.example.com", "underscore"),
        ("10.0.0.300", "provider network"), ("2001:db8::1::2", "provider network"), ("", "it is empty"),
    ])
    func invalidNames(text: String, phrase: String) throws {
        let error = #expect(throws: GeoFilterError.self) { try GeoPolicy(mode: .blockSelected, countries: "CN", providers: [text]) }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains(phrase) == true, "\(String(describing: error))")
        if !text.isEmpty {
            #expect(error?.message.contains(String(text.prefix(40))) == true, "the entry is named: \(String(describing: error))")
        }
        #expect(error?.message.hasPrefix("provider") == true)
    }

    @Test("Policy files written before names existed still load; names load beside networks")
    func policyFiles() throws {
        let old = #"{"mode":"blockSelected","selections":[{"country":"CN"}],"trusted":["10.0.0.0/8"],"providers":["203.0.113.7/32"],"scope":{"rules":[]},"directions":["input"],"enabled":true}"#
        let read = try JSONDecoder().decode(GeoPolicy.self, from: Data(old.utf8))
        #expect(read.trusted.map(\.description) == ["10.0.0.0/8"] && read.providers.map(\.description) == ["203.0.113.7/32"])
        #expect(read.trustedNames.isEmpty && read.providerNames.isEmpty)
        #expect(try JSONEncoder().encode(read) == (try JSONEncoder().encode(try JSONDecoder().decode(GeoPolicy.self, from: JSONEncoder().encode(read)))))

        let named = old.replacingOccurrences(of: #""providers":["203.0.113.7/32"]"#, with: #""providers":["203.0.113.7/32","SIP.example.net","_sip._udp.example.com"]"#)
        let policy = try JSONDecoder().decode(GeoPolicy.self, from: Data(named.utf8))
        #expect(policy.providers.map(\.description) == ["203.0.113.7/32"])
        #expect(policy.providerNames.map(\.description) == ["sip.example.net", "_sip._udp.example.com"])
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(policy)) as? [String: Any])
        #expect(object["providers"] as? [String] == ["203.0.113.7/32", "sip.example.net", "_sip._udp.example.com"])
        #expect(try JSONDecoder().decode(GeoPolicy.self, from: JSONEncoder().encode(policy)) == policy)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-names-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try named.replacingOccurrences(of: "SIP.example.net", with: "sip..example.net").write(toFile: folder + "/bad.json", atomically: true, encoding: .utf8)
        let error = #expect(throws: GeoFilterError.self) { try GeoPolicy.load(path: folder + "/bad.json") }
        #expect(error?.description.contains("bad.json: not a valid policy: provider entry 'sip..example.net' is not a valid DNS name") == true, "\(String(describing: error))")
    }

    @Test("Resolved names join the provider set; explain and the summary say so; the digest follows the addresses")
    func resolvedProviders() throws {
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN", trusted: ["vpn.example.org"], providers: ["198.51.100.0/24", "sip.example.net"])
        let resolver = FixedResolver(answers: [
            "sip.example.net": .success(HostResolution(addresses: addresses("2001:db8::10", "192.0.2.10"), ttl: 300)),
            "vpn.example.org": .success(HostResolution(addresses: addresses("192.0.2.99"))),
        ])
        let resolved = policy.resolvingNames(using: resolver, now: 1_800_000_000)
        let plan = try FirewallPlan(policy: resolved, database: database)
        #expect(try plan.providers.contains(try IPAddress(parsing: "192.0.2.10")) && plan.providers.contains(try IPAddress(parsing: "2001:db8::10")))
        #expect(plan.trusted.contains(try IPAddress(parsing: "192.0.2.99")))
        #expect(plan.explain(try IPAddress(parsing: "192.0.2.10")).description == "accept\tprovider 192.0.2.10/32")
        #expect(plan.explain(try IPAddress(parsing: "192.0.2.99")).description == "accept\ttrusted 192.0.2.99/32")
        #expect(plan.summary.contains("\nprovider sip.example.net -> 192.0.2.10, 2001:db8::10\n"), "\(plan.summary)")
        #expect(plan.summary.contains("\ntrusted vpn.example.org -> 192.0.2.99\n"))
        #expect(plan.warnings.isEmpty, "\(plan.warnings)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(plan.json.utf8)) as? [String: Any])
        let names = try #require(object["names"] as? [[String: Any]])
        #expect(names.count == 2)
        #expect(names.last?["name"] as? String == "sip.example.net" && names.last?["addresses"] as? [String] == ["192.0.2.10", "2001:db8::10"])
        #expect(names.last?["status"] as? String == "resolved" && names.last?["ttl"] as? Int == 300)

        // The same addresses give the same digest; a changed address a changed provider set and digest.
        #expect(try FirewallPlan(policy: policy.resolvingNames(using: resolver, now: 1_800_000_100), database: database).digest == plan.digest)
        var moved = resolver
        moved.answers["sip.example.net"] = .success(HostResolution(addresses: addresses("192.0.2.11")))
        let next = try FirewallPlan(policy: resolved.resolvingNames(using: moved), database: database)
        #expect(next.digest != plan.digest)
        #expect(try next.providers.contains(try IPAddress(parsing: "192.0.2.11")) && !next.providers.contains(try IPAddress(parsing: "192.0.2.10")))
    }

    @Test("A failed lookup keeps the previous addresses and says so; with nothing to keep, nothing passes")
    func failures() throws {
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN", providers: ["sip.example.net", "new.example.net"])
        let good = FixedResolver(answers: ["sip.example.net": .success(HostResolution(addresses: addresses("192.0.2.10")))])
        let first = policy.resolvingNames(using: good, now: 1_800_000_000)
        #expect(first.resolvedNames[try HostEntry(parsing: "sip.example.net")]?.status == .resolved)
        #expect(first.resolvedNames[try HostEntry(parsing: "new.example.net")]?.status == .unresolved)

        let failing = FixedResolver(answers: ["sip.example.net": .failure(GeoFilterError(.network, "no usable answer for sip.example.net A: timeout"))])
        // The cache round-trips through a file, as a host keeps it between runs.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-resolved-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ResolvedNames.loadIfPresent(path: path).isEmpty)
        try first.resolvedNames.write(to: path)
        let cached = try ResolvedNames.load(path: path)
        #expect(cached == first.resolvedNames)
        let second = policy.resolvingNames(using: failing, previous: cached, now: 1_800_000_600)
        let kept = try #require(second.resolvedNames[try HostEntry(parsing: "sip.example.net")])
        #expect(kept.status == .kept && kept.addresses == addresses("192.0.2.10") && kept.resolvedAt == 1_800_000_000)
        #expect(kept.failure?.contains("timeout") == true && kept.failedAt == 1_800_000_600)
        let plan = try FirewallPlan(policy: second, database: database)
        #expect(plan.providers.contains(try IPAddress(parsing: "192.0.2.10")))
        #expect(plan.summary.contains("provider sip.example.net -> 192.0.2.10 (kept from 2027-01-15 08:00:00 UTC: lookup failed: no usable answer"), "\(plan.summary)")
        #expect(plan.summary.contains("provider new.example.net -> (none) (lookup failed: new.example.net does not exist (NXDOMAIN))"))
        #expect(plan.warnings.map(\.kind) == [.keptPreviousAddresses, .unresolvedName])
        #expect(plan.warnings[0].description.contains("keeping the addresses resolved at 2027-01-15 08:00:00 UTC: 192.0.2.10"))
        // A success later clears the failure.
        let third = second.resolvingNames(using: good, now: 1_800_001_200)
        #expect(third.resolvedNames[try HostEntry(parsing: "sip.example.net")]?.status == .resolved)
        #expect(third.resolvedNames[try HostEntry(parsing: "sip.example.net")]?.failure == nil)
        // A policy compiled without resolving its names says so.
        let unresolved = try FirewallPlan(policy: policy, database: database)
        #expect(unresolved.warnings.count == 2 && unresolved.warnings.allSatisfy { $0.kind == .unresolvedName && $0.message.contains("resolvingNames") })
        #expect(unresolved.summary.contains("provider sip.example.net -> (not resolved)"))
    }

    @Test("A trusted or provider address in a blocked country is accepted, with a warning")
    func blockedCountryWarning() throws {
        // 1.0.1.0-1.0.3.255 is CN and 1.0.0.0/24 AU in the fixture; 2001:2::/48 is JP.
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN,JP", trusted: ["1.0.0.0/22"], providers: ["sip.example.cn", "198.51.100.0/24"])
        let resolver = FixedResolver(answers: ["sip.example.cn": .success(HostResolution(addresses: addresses("1.0.1.5", "2001:2::5")))])
        let plan = try FirewallPlan(policy: policy.resolvingNames(using: resolver), database: database)
        #expect(plan.explain(try IPAddress(parsing: "2001:2::5")).description == "accept\tprovider 2001:2::5/128")
        let warnings = plan.warnings.filter { $0.kind == .exemptionInBlockedCountry }
        #expect(warnings.count == 3, "\(warnings)")
        #expect(warnings.contains {
            $0.role == "provider" && $0.entry == "sip.example.cn" && $0.address == "1.0.1.5" && $0.regions == ["CN"]
                && $0.message == "provider sip.example.cn (1.0.1.5) is in CN, a blocked country: it passes anyway, because the provider rule comes before the geo rule"
        })
        #expect(warnings.contains { $0.address == "2001:2::5" && $0.regions == ["JP"] })
        #expect(warnings.contains { $0.role == "trusted" && $0.message.hasPrefix("trusted 1.0.0.0/22 lies partly in CN, a blocked country") })
        #expect(plan.summary.contains("\nwarning: provider sip.example.cn (1.0.1.5) is in CN, a blocked country"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(plan.json.utf8)) as? [String: Any])
        #expect((object["warnings"] as? [[String: Any]])?.count == 3)

        // Allow-only: an exemption outside the allow list.
        let allow = try GeoPolicy(mode: .allowOnlySelected, countries: "AU", providers: ["sip.example.cn", "192.168.1.0/24"])
        let allowPlan = try FirewallPlan(policy: allow.resolvingNames(using: resolver), database: database)
        let allowWarnings = allowPlan.warnings.map(\.message)
        #expect(allowWarnings.contains("provider sip.example.cn (1.0.1.5) is in CN, not in the allow list: it passes anyway, because the provider rule comes before the geo rule"), "\(allowWarnings)")
        #expect(allowWarnings.count == 2, "private space is accepted anyway: \(allowWarnings)")
        // Disabled: nothing is dropped, so nothing to warn about.
        var disabled = policy.resolvingNames(using: resolver)
        disabled.enabled = false
        #expect(try FirewallPlan(policy: disabled, database: database).warnings.isEmpty)
    }
}

@Suite("Host names in the boot state")
struct HostNameStateTests {
    @Test("Resolved names are stored with the state, so restore needs no lookup (and the fallback keeps them)")
    func storedWithTheState() throws {
        let database = try GeoDatabase.load(.bundled)
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN", providers: ["sip.example.net"])
        let resolver = FixedResolver(answers: ["sip.example.net": .success(HostResolution(addresses: addresses("1.0.1.7", "2001:db8::10")))])
        let plan = try FirewallPlan(policy: policy.resolvingNames(using: resolver, now: 1_800_000_000), database: database)
        #expect(plan.providers.contains(try IPAddress(parsing: "1.0.1.7")))
        let directory = NSTemporaryDirectory() + "geofilter-names-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = EnforcementStateStore(directory: directory)
        try store.save(EnforcementState(plan: plan, backend: "nftables"))
        // Restored with no resolver at all: the same provider set and digest.
        let restored = try store.loadForRestore().plan()
        #expect(restored.digest == plan.digest && restored.providers == plan.providers)
        // Without state.json, the policy file and the stored names still give the same plan.
        #expect(unlink(directory + "/state.json") == 0)
        let fallback = try store.loadForRestore()
        #expect(fallback.fallback != nil)
        #expect(try fallback.plan().providers == plan.providers)
    }
}
