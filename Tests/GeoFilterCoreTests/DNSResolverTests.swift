import Foundation
@testable import GeoFilterCore
import GeoFilterTestSupport
import Testing

private let zone = """
    # hosts
    sip.example.net A 192.0.2.10
    sip.example.net AAAA 2001:db8::10
    sip.example.net TTL 300
    v4only.example.net A 192.0.2.40
    # a CNAME chain: trunk -> edge -> sip
    trunk.example.net CNAME edge.example.net
    edge.example.net CNAME sip.example.net
    # a loop, and a chain longer than the resolver follows
    loop1.example.net CNAME loop2.example.net
    loop2.example.net CNAME loop1.example.net
    c0.example.net CNAME c1.example.net
    c1.example.net CNAME c2.example.net
    c2.example.net CNAME c3.example.net
    c3.example.net CNAME c4.example.net
    c4.example.net CNAME c5.example.net
    c5.example.net CNAME c6.example.net
    c6.example.net CNAME c7.example.net
    c7.example.net CNAME c8.example.net
    c8.example.net CNAME c9.example.net
    c9.example.net A 192.0.2.99
    # SRV: two targets, the second of lower priority
    _sip._udp.example.com SRV 20 10 5080 sip2.example.com
    _sip._udp.example.com SRV 10 60 5060 sip1.example.com
    sip1.example.com A 198.51.100.1
    sip2.example.com AAAA 2001:db8::2
    _sip._tcp.gone.example.com SRV 10 10 5060 nowhere.example.com
    _sip._tcp.none.example.com SRV 0 0 0 .
    # failures
    gone.example.net NXDOMAIN
    broken.example.net SERVFAIL
    slow.example.net TIMEOUT
    big.example.net TRUNCATE
    big.example.net A 192.0.2.20
    big.example.net AAAA 2001:db8::20
    empty.example.net TXT nothing
    """

/// A short timeout: the misbehaving cases wait for it.
private func resolver(_ server: DNSServer, timeout: Duration = .milliseconds(300)) throws -> DNSResolver {
    DNSResolver(configuration: .init(nameservers: [try DNSResolver.Nameserver(parsing: server.address)], timeout: timeout, attempts: 1))
}

private func entry(_ text: String) throws -> HostEntry { try HostEntry(parsing: text) }
private func address(_ text: String) throws -> IPAddress { try IPAddress(parsing: text) }

@Suite("DNS resolution against a loopback DNS server")
struct DNSResolverTests {
    @Test("A and AAAA records of a host end up in the provider set, the nft rendering and explain")
    func hostRecords() throws {
        let server = try DNSServer(zone: zone)
        defer { server.stop() }
        let found = try resolver(server).resolve(try entry("SIP.example.net"))
        #expect(found.addresses == [try address("192.0.2.10"), try address("2001:db8::10")])
        #expect(found.ttl == 300)
        #expect(try resolver(server).resolve(try entry("v4only.example.net")).addresses == [try address("192.0.2.40")])

        let database = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN", providers: ["sip.example.net"])
        let plan = try FirewallPlan(policy: policy.resolvingNames(using: try resolver(server)), database: database)
        #expect(plan.providers == (try CIDRSet(parsing: ["192.0.2.10/32", "2001:db8::10/128"])))
        #expect(plan.explain(try address("2001:db8::10")).description == "accept\tprovider 2001:db8::10/128")
        #expect(plan.summary.contains("provider sip.example.net -> 192.0.2.10, 2001:db8::10\n"))
        let nft = plan.nftScript()
        #expect(nft.contains("192.0.2.10") && nft.contains("2001:db8::10"), "\(nft)")

        // Every question has an ID of its own (random, 16 bits): six questions, not one ID.
        let ids = server.questions().map(\.id)
        #expect(ids.count >= 6 && Set(ids).count > 1, "\(ids)")
        #expect(server.questions().allSatisfy { $0.transport == "udp" })
    }

    @Test("SRV records expand to their targets' addresses, in priority order")
    func serviceRecords() throws {
        let server = try DNSServer(zone: zone)
        defer { server.stop() }
        let found = try resolver(server).resolve(try entry("_sip._udp.example.com"))
        #expect(found.targets == ["sip1.example.com:5060", "sip2.example.com:5080"])
        #expect(found.addresses == [try address("198.51.100.1"), try address("2001:db8::2")])
        let gone = #expect(throws: GeoFilterError.self) { try resolver(server).resolve(try entry("_sip._tcp.gone.example.com")) }
        #expect(gone?.message.contains("SRV target nowhere.example.com does not exist (NXDOMAIN)") == true, "\(String(describing: gone))")
        let none = #expect(throws: GeoFilterError.self) { try resolver(server).resolve(try entry("_sip._tcp.none.example.com")) }
        #expect(none?.message.contains("has no SRV record") == true, "\(String(describing: none))")
    }

    @Test("CNAME chains are followed, loops and long chains refused")
    func aliases() throws {
        let server = try DNSServer(zone: zone)
        defer { server.stop() }
        let found = try resolver(server).resolve(try entry("trunk.example.net"))
        #expect(found.addresses == [try address("192.0.2.10"), try address("2001:db8::10")])
        #expect(found.aliases == ["edge.example.net", "sip.example.net"])
        let loop = #expect(throws: GeoFilterError.self) { try resolver(server).resolve(try entry("loop1.example.net")) }
        #expect(loop?.message.contains("loops") == true, "\(String(describing: loop))")
        let long = #expect(throws: GeoFilterError.self) { try resolver(server).resolve(try entry("c0.example.net")) }
        #expect(long?.message.contains("longer than 8 names") == true, "\(String(describing: long))")
    }

    @Test("A truncated UDP answer is asked again over TCP")
    func truncation() throws {
        let server = try DNSServer(zone: zone)
        defer { server.stop() }
        let found = try resolver(server).resolve(try entry("big.example.net"))
        #expect(found.addresses == [try address("192.0.2.20"), try address("2001:db8::20")])
        #expect(server.questions().map(\.transport) == ["udp", "tcp", "udp", "tcp"])
    }

    @Test("Failures name the name and the reason", arguments: [
        ("gone.example.net", "gone.example.net does not exist (NXDOMAIN)"), ("broken.example.net", "SERVFAIL"),
        ("slow.example.net", "sent no usable answer in time"), ("empty.example.net", "has no A or AAAA record"),
        ("missing.example.net", "NXDOMAIN"),
    ])
    func failures(name: String, phrase: String) throws {
        let server = try DNSServer(zone: zone)
        defer { server.stop() }
        let error = #expect(throws: GeoFilterError.self) { try resolver(server).resolve(try entry(name)) }
        #expect(error?.code == .network)
        #expect(error?.message.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test("One name's resolution is bounded in time, whatever the retries")
    func maximumDuration() throws {
        let server = try DNSServer(zone: zone)
        defer { server.stop() }
        let nameserver = try DNSResolver.Nameserver(parsing: server.address)
        let slow = DNSResolver(configuration: .init(nameservers: [nameserver], timeout: .milliseconds(300), attempts: 5, maximumDuration: .milliseconds(700)))
        let start = ContinuousClock.now
        let error = #expect(throws: GeoFilterError.self) { try slow.resolve(try entry("slow.example.net")) }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(650) && elapsed < .milliseconds(1400), "\(elapsed)")
        #expect(error?.message.contains("given up") == true, "\(String(describing: error))")
    }

    @Test("Malformed answers are refused", arguments: [
        ("short", "past the end"), ("loop", "points forward or at itself"), ("forward", "points forward or at itself"),
        ("wrong-id", "is not the query's"), ("other-question", "is for another question"), ("bad-length", "A record has 5 bytes"),
        ("long-label", "reserved type bits"), ("query", "is a query, not an answer"), ("other-owner", "has no A or AAAA record"),
    ])
    func malformed(kind: String, phrase: String) throws {
        let server = try DNSServer(zone: "bad.example.net A 192.0.2.66\nbad.example.net MALFORMED \(kind)\n")
        defer { server.stop() }
        let error = #expect(throws: GeoFilterError.self) { try resolver(server).resolve(try entry("bad.example.net")) }
        #expect(error?.message.contains(phrase) == true, "\(String(describing: error))")
    }

    @Test("NXDOMAIN and timeouts keep the previously resolved addresses, and the plan says so", arguments: ["NXDOMAIN", "TIMEOUT", "SERVFAIL"])
    func keepsPrevious(failure: String) throws {
        let server = try DNSServer(zone: zone)
        defer { server.stop() }
        let database = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN", providers: ["sip.example.net", "_sip._udp.example.com"])
        let first = policy.resolvingNames(using: try resolver(server), now: 1_800_000_000)
        let firstPlan = try FirewallPlan(policy: first, database: database)
        #expect(firstPlan.warnings.isEmpty, "\(firstPlan.warnings)")

        try server.setZone("sip.example.net \(failure)\n_sip._udp.example.com \(failure)\n")
        let second = first.resolvingNames(using: try resolver(server), now: 1_800_000_300)
        let plan = try FirewallPlan(policy: second, database: database)
        #expect(plan.providers == firstPlan.providers && plan.digest == firstPlan.digest)
        for name in ["sip.example.net", "_sip._udp.example.com"] {
            let kept = try #require(second.resolvedNames[try entry(name)])
            #expect(kept.status == .kept && kept.resolvedAt == 1_800_000_000 && kept.failedAt == 1_800_000_300)
        }
        #expect(plan.warnings.count == 2 && plan.warnings.allSatisfy { $0.kind == .keptPreviousAddresses })
        #expect(plan.summary.contains("provider sip.example.net -> 192.0.2.10, 2001:db8::10 (kept from 2027-01-15 08:00:00 UTC: lookup failed:"))
        #expect(plan.summary.contains("warning: provider _sip._udp.example.com could not be resolved"))
    }

    @Test("Name servers: ADDRESS[:PORT], [IPv6]:PORT; resolv.conf's nameserver and options lines")
    func configuration() throws {
        #expect(try DNSResolver.Nameserver(parsing: "127.0.0.1:5353").description == "127.0.0.1:5353")
        #expect(try DNSResolver.Nameserver(parsing: "192.0.2.53").port == 53)
        #expect(try DNSResolver.Nameserver(parsing: "[::1]:5353").description == "[::1]:5353")
        #expect(try DNSResolver.Nameserver(parsing: "2001:db8::53").description == "[2001:db8::53]:53")
        for bad in ["127.0.0.1:0", "127.0.0.1:70000", "[::1", "[::1]x", "dns.example.net", "127.0.0.1:"] {
            #expect(throws: GeoFilterError.self, "\(bad)") { try DNSResolver.Nameserver(parsing: bad) }
        }
        let conf = DNSResolver.Configuration.parse(
            resolvConf: """
                # generated
                search example.net
                nameserver 192.0.2.53
                nameserver fe80::1%eth0
                nameserver 2001:db8::53
                nameserver 192.0.2.54
                nameserver 192.0.2.55
                options timeout:1 attempts:9 rotate
                """)
        #expect(conf.nameservers.map(\.description) == ["192.0.2.53:53", "[2001:db8::53]:53", "192.0.2.54:53"])
        #expect(conf.timeout == .seconds(1) && conf.attempts == 5)
        #expect(DNSResolver.Configuration.parse(resolvConf: "").nameservers.map(\.description) == ["127.0.0.1:53"])
        #expect(try DNSResolver.Configuration.system(resolvConf: "/nonexistent/resolv.conf").nameservers.count == 1)
    }

    @Test("Hostile answers built by hand: pointer loops, counts past the end, a wrong question")
    func hostileMessages() throws {
        let name = ["sip", "example", "net"]
        let query = DNSMessage.query(id: 7, name: name, type: .a)
        // The query echoed back as an answer: header flags QR set, one answer whose owner is a
        // pointer to the question name (offset 12), 4 bytes of A data.
        var good = query.prefix(12 + 17 + 4)
        good[2] = 0x81
        good[3] = 0x80
        good[7] = 1  // ANCOUNT
        good[11] = 0  // no OPT record in the answer
        let record: [UInt8] = [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 10]
        let answer = Array(good) + record
        let parsed = try DNSMessage.parse(answer, id: 7, name: name, type: .a)
        #expect(parsed.answers.map(\.data) == [.a(IPv4Address(192, 0, 2, 10))])
        // A pointer to itself.
        var loop = answer
        loop[33] = 0xC0
        loop[34] = 33
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(loop, id: 7, name: name, type: .a) }
        // An answer count past the records present.
        var counted = answer
        counted[7] = 2
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(counted, id: 7, name: name, type: .a) }
        // Trailing bytes after the last record.
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(answer + [0], id: 7, name: name, type: .a) }
        // A record length past the end.
        var long = answer
        long[answer.count - 5] = 40
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(long, id: 7, name: name, type: .a) }
        // Another question type, another ID.
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(answer, id: 7, name: name, type: .aaaa) }
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(answer, id: 8, name: name, type: .a) }
        // Every prefix of a good answer is refused, never a crash.
        for length in 0..<answer.count {
            #expect(throws: DNSMessage.Malformed.self, "\(length)") { try DNSMessage.parse(Array(answer.prefix(length)), id: 7, name: name, type: .a) }
        }
    }
}

@Suite("Resolving names from async code")
struct AsyncResolutionTests {
    @Test("The async overload resolves off the cooperative pool and gives the same result")
    func asyncResolution() async throws {
        let server = try DNSServer(zone: "sip.example.net A 192.0.2.10\n")
        defer { server.stop() }
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN", providers: ["sip.example.net"])
        let resolved = await policy.resolvingNames(using: try resolver(server), now: 1_800_000_000)
        #expect(resolved.resolvedNames[try entry("sip.example.net")]?.addresses == [try address("192.0.2.10")])
        let blocking: () throws -> GeoPolicy = { policy.resolvingNames(using: try resolver(server), now: 1_800_000_000) }
        #expect(try resolved == blocking())
    }
}

@Suite("A provider name re-resolved on a timer", .serialized, .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason))
struct ProviderNameReapplyTests {
    @Test("A changed address is re-applied as an element diff; a failed lookup changes nothing")
    func reapply() throws {
        let server = try DNSServer(zone: "sip.example.cn A 1.0.1.1\n")
        defer { server.stop() }
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        let database = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
        let backend = NftablesBackend(namespace: .named(namespace.name))
        var policy = try GeoPolicy(mode: .blockSelected, countries: "CN", providers: ["sip.example.cn"])

        policy = policy.resolvingNames(using: try resolver(server))
        let first = try FirewallPlan(policy: policy, database: database)
        #expect(first.warnings.map(\.kind) == [.exemptionInBlockedCountry])
        #expect(try backend.apply(first) == .applied(digest: first.digest))

        // The trunk moved: the next timer run resolves the new address; only the provider
        // set's element changes.
        try server.setZone("sip.example.cn A 1.0.1.2\n")
        policy = policy.resolvingNames(using: try resolver(server))
        let second = try FirewallPlan(policy: policy, database: database)
        #expect(second.digest != first.digest)
        #expect(try backend.apply(second) == .updated(digest: second.digest, elementsRemoved: 1, elementsAdded: 1))
        let listing = try namespace.run("/usr/sbin/nft", ["list", "table", "inet", "geofilter"])
        #expect(listing.output.contains("1.0.1.2") && !listing.output.contains("1.0.1.1 "), "\(listing.output)")

        // The DNS server fails: the last good address stays, the plan is unchanged.
        try server.setZone("sip.example.cn SERVFAIL\n")
        policy = policy.resolvingNames(using: try resolver(server))
        let third = try FirewallPlan(policy: policy, database: database)
        #expect(third.digest == second.digest)
        #expect(third.warnings.map(\.kind).contains(.keptPreviousAddresses))
        #expect(try backend.apply(third) == .unchanged(digest: third.digest))
        _ = try backend.remove()
    }
}
