import Foundation
import Testing

@testable import GeoFilterCore

/// A small database of random country ranges (with gaps, pseudo-codes) over a few /16s of
/// IPv4 and a few /32s of IPv6, plus private space, for property tests.
private func randomDatabase(using rng: inout SeededGenerator, shuffled: Bool = false) throws -> (GeoDatabase, [String]) {
    let codes = ["CN", "RU", "DE", "FR", "US", "BR", "ZA", "EU", "??"]
    var rows: [String] = []
    var v4: UInt32 = 0x0100_0000
    var v6 = UInt128(0x2a00) << 112
    for _ in 0..<400 {
        v4 += UInt32.random(in: 0...2, using: &rng) * 256
        let size4 = UInt32(256) << UInt32.random(in: 0...4, using: &rng)
        rows.append("\(v4),\(v4 + size4 - 1),\(codes.randomElement(using: &rng)!)")
        v4 += size4
        v6 += UInt128.random(in: 0...1, using: &rng) << 96
        let size6 = UInt128(1) << UInt128.random(in: 80...96, using: &rng)
        rows.append("\(IPv6Address(v6)),\(IPv6Address(v6 + size6 - 1)),\(codes.randomElement(using: &rng)!)")
        v6 += size6
    }
    // Rows inside private space too: data sometimes has them; allow-only must still pass them.
    rows.append("\(UInt32(0x0A00_0000)),\(UInt32(0x0A00_FFFF)),CN")
    if shuffled { rows.shuffle(using: &rng) }
    let path = try TestPaths.temporaryFile(rows.joined(separator: "\n"))
    return (try GeoDatabase.load(.ipfire(ipv4: path, ipv6: nil)), rows)
}

/// The rule order of DESIGN.md, evaluated straightforwardly from the policy and the data.
private func referenceVerdict(_ policy: GeoPolicy, _ database: GeoDatabase, _ address: IPAddress) -> Verdict.Action {
    func inNetworks(_ networks: [IPAnyNetwork]) -> Bool {
        networks.contains { network in
            switch (network, address) {
            case (.v4(let n), .v4(let a)): n.address.value <= a.value && a.value <= n.lastAddress.value
            case (.v6(let n), .v6(let a)): n.address.value <= a.value && a.value <= n.lastAddress.value
            default: false
            }
        }
    }
    if inNetworks(policy.trusted) || inNetworks(policy.providers) { return .accept }
    let loopback = try! [IPAnyNetwork(parsing: "127.0.0.0/8"), IPAnyNetwork(parsing: "::1/128")]
    if inNetworks(loopback) { return .accept }
    if policy.mode == .allowOnlySelected {
        let reserved = (ReservedSpace.ipv4Networks + ReservedSpace.ipv6Networks).map { try! IPAnyNetwork(parsing: $0) }
        if inNetworks(reserved) { return .accept }
    }
    if !policy.enabled { return .accept }
    let country = database.lookup(address)?.region.country
    let selected = country.map { policy.countries.contains($0) } ?? false
    switch policy.mode {
    case .blockSelected: return selected ? .drop : .accept
    case .allowOnlySelected: return selected ? .accept : .drop
    }
}

private func randomAddress(using rng: inout SeededGenerator) -> IPAddress {
    switch Int.random(in: 0..<6, using: &rng) {
    case 0: .v4(IPv4Address(UInt32.random(in: 0x0100_0000...0x0200_0000, using: &rng)))
    case 1: .v4(IPv4Address(UInt32.random(in: 0...UInt32.max, using: &rng)))
    case 2: .v4(IPv4Address([0x0A00_0001, 0x7F00_0001, 0xC0A8_0101, 0xA9FE_0001, 0x6440_0001].randomElement(using: &rng)!))
    case 3: .v6(IPv6Address(UInt128(0x2a00) << 112 | UInt128.random(in: 0...(UInt128(1) << 104), using: &rng)))
    case 4: .v6(IPv6Address(UInt128.random(using: &rng)))
    default: .v6(IPv6Address([UInt128(1), UInt128(0xfe80) << 112 | 1, UInt128(0xfd00) << 112 | 5].randomElement(using: &rng)!))
    }
}

private func randomPolicy(using rng: inout SeededGenerator) throws -> GeoPolicy {
    let pool = ["CN", "RU", "DE", "FR", "US", "BR", "ZA", "@AF", "@EU", "-ZA", "-DE"]
    var list = (0..<Int.random(in: 1...4, using: &rng)).map { _ in pool.randomElement(using: &rng)! }
    if list.allSatisfy({ $0.hasPrefix("-") }) { list.append("CN") }
    let trusted = (0..<Int.random(in: 0...2, using: &rng)).map { _ in
        "\(IPNetwork(masking: IPv4Address(UInt32.random(in: 0x0100_0000...0x0200_0000, using: &rng)), prefixLength: Int.random(in: 16...28, using: &rng)))"
    }
    let providers = (0..<Int.random(in: 0...2, using: &rng)).map { _ in
        "\(IPNetwork(masking: IPv6Address(UInt128(0x2a00) << 112 | UInt128.random(in: 0...(UInt128(1) << 104), using: &rng)), prefixLength: Int.random(in: 24...64, using: &rng)))"
    }
    var policy = try GeoPolicy(
        mode: Bool.random(using: &rng) ? .blockSelected : .allowOnlySelected, countries: list.joined(separator: ","),
        trusted: trusted, providers: providers)
    policy.enabled = Int.random(in: 0..<8, using: &rng) != 0
    if policy.countries.isEmpty { policy.selections = [CountrySelection(.country(try Country(code: "CN")))] }
    return policy
}

@Suite("FirewallPlan")
struct FirewallPlanTests {
    @Test("explain agrees with a reference evaluation of the rule order", arguments: propertySeeds)
    func explainMatchesReference(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let (database, _) = try randomDatabase(using: &rng)
        for _ in 0..<60 {
            let policy = try randomPolicy(using: &rng)
            let plan = try FirewallPlan(policy: policy, database: database)
            for _ in 0..<150 {
                let address = randomAddress(using: &rng)
                let verdict = plan.explain(address)
                #expect(verdict.action == referenceVerdict(policy, database, address), "seed \(seed): \(address) \(verdict)")
                // Trusted and provider sources are never dropped; nor, in allow-only mode,
                // loopback, private, link-local or ULA sources.
                if plan.trusted.contains(address) || plan.providers.contains(address) { #expect(verdict.action == .accept) }
                if policy.mode == .allowOnlySelected && ReservedSpace.addresses.contains(address) { #expect(verdict.action == .accept) }
                // Both kernel representations drop exactly what the geo rule drops.
                for kind in FirewallPlan.SetKind.allCases {
                    let family: IPAddressFamily = address.family
                    let match = plan.geoMatch(family, for: kind)
                    let geoDrops = (match.polarity == .sourceIn) == match.set.contains(address)
                    let expected = policy.mode == .blockSelected ? plan.selected.contains(address) : !plan.selected.contains(address)
                    #expect(geoDrops == expected)
                }
            }
        }
    }

    @Test("Reasons name the rule that decides")
    func reasons() throws {
        let database = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
        var block = try GeoPolicy(mode: .blockSelected, countries: "CN", trusted: ["10.0.0.0/8"], providers: ["1.0.2.0/24"])
        block.selections[0].label = "block-cn"
        let plan = try FirewallPlan(policy: block, database: database)
        #expect(plan.explain(try IPAddress(parsing: "10.1.2.3")).description == "accept\ttrusted 10.0.0.0/8")
        #expect(plan.explain(try IPAddress(parsing: "1.0.2.9")).description == "accept\tprovider 1.0.2.0/24")
        #expect(plan.explain(try IPAddress(parsing: "1.0.1.9")).description == "drop\tcountry CN blocked (block-cn)")
        #expect(plan.explain(try IPAddress(parsing: "1.0.0.9")).description == "accept\tcountry AU not blocked")
        #expect(plan.explain(try IPAddress(parsing: "127.0.0.1")).description == "accept\tloopback")
        #expect(plan.explain(try IPAddress(parsing: "2.16.0.1")).description.hasPrefix("accept\tregion EU"))
        #expect(plan.explain(try IPAddress(parsing: "9.9.9.9")).description == "accept\tno country data for this address: not blocked")
        let allow = try FirewallPlan(policy: try GeoPolicy(mode: .allowOnlySelected, countries: "AU", scope: ServiceScope(rules: try ServiceScope.service("sip"))), database: database)
        #expect(allow.explain(try IPAddress(parsing: "1.0.1.9")).description == "drop\tcountry CN not in allow list (geo rule applies to tcp 5060-5061; udp 5060 only)")
        #expect(allow.explain(try IPAddress(parsing: "1.0.1.9"), transport: .tcp, port: 443).action == .accept)
        #expect(allow.explain(try IPAddress(parsing: "192.168.1.20")).description == "accept\treserved space 192.168.0.0/16")
        #expect(allow.explain(try IPAddress(parsing: "fe80::1")).description == "accept\treserved space fe80::/10")
        #expect(allow.explain(try IPAddress(parsing: "9.9.9.9")).action == .drop)
    }

    @Test("The impact preview lists the peers that would be cut off, with why")
    func impact() throws {
        let database = try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
        let plan = try FirewallPlan(policy: try GeoPolicy(mode: .allowOnlySelected, countries: "AU", providers: ["1.0.1.0/24"]), database: database)
        let peers = [
            Peer(address: try IPAddress(parsing: "1.0.0.5"), label: "ext 201"),
            Peer(address: try IPAddress(parsing: "1.0.1.5"), label: "trunk"),
            Peer(address: try IPAddress(parsing: "1.0.2.5"), label: "ext 202"),
            Peer(address: try IPAddress(parsing: "2001:2::1"), label: "ext 203"),
        ]
        let cut = plan.impact(on: peers)
        #expect(cut.map(\.peer.label) == ["ext 202", "ext 203"])
        #expect(cut.map(\.verdict.reasonText) == ["country CN not in allow list", "country JP not in allow list"])
    }

    @Test("The digest is the same for the same inputs in any order, and changes with them", arguments: propertySeeds)
    func digest(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        var copy = rng
        let (first, _) = try randomDatabase(using: &rng)
        let (second, _) = try randomDatabase(using: &copy, shuffled: true)
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN,@EU,-DE", trusted: ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"], providers: ["1.1.0.0/16"])
        var reordered = try GeoPolicy(mode: .blockSelected, countries: "-DE,@EU,CN", trusted: ["2001:db8::/32", "192.168.0.0/16", "10.0.0.0/8", "10.0.0.0/9"], providers: ["1.1.0.0/17", "1.1.128.0/17"])
        reordered.directions = [.input]
        let a = try FirewallPlan(policy: policy, database: first)
        let b = try FirewallPlan(policy: reordered, database: second)
        #expect(a.digest == b.digest)
        #expect(a.digest.count == 64)
        let other = try FirewallPlan(policy: try GeoPolicy(mode: .blockSelected, countries: "CN,@EU"), database: first)
        #expect(other.digest != a.digest)
        var scoped = policy
        scoped.scope = ServiceScope(rules: try ServiceScope.service("sip"))
        #expect(try FirewallPlan(policy: scoped, database: first).digest != a.digest)
    }

    @Test("The smaller representation is chosen without changing meaning")
    func representation() throws {
        // Data covering the whole IPv4 space, CN and RU alternating with one AU range.
        var rows: [String] = []
        for index in 0..<16 {
            let code = index == 9 ? "AU" : (index % 2 == 0 ? "CN" : "RU")
            rows.append("\(UInt32(index) << 28),\(UInt32(index) << 28 | 0x0FFF_FFFF),\(code)")
        }
        let database = try GeoDatabase.load(.ipfire(ipv4: try TestPaths.temporaryFile(rows.joined(separator: "\n")), ipv6: nil))
        // Blocking everything but AU: the complement (one range) is smaller than the two blocked ranges.
        let everything = try FirewallPlan(policy: try GeoPolicy(mode: .blockSelected, countries: "CN,RU"), database: database)
        let match = everything.geoMatch(.ipv4, for: .intervals)
        #expect(match.isComplement)
        #expect(match.polarity == .sourceNotIn)
        #expect(everything.summary.contains("the complement of the selected countries (smaller)"))
        #expect(match.set.ipv4Ranges.map(\.description) == ["144.0.0.0-159.255.255.255"])
        let few = try FirewallPlan(policy: try GeoPolicy(mode: .allowOnlySelected, countries: "AU"), database: database)
        #expect(few.geoMatch(.ipv4, for: .prefixes).polarity == .sourceNotIn)
        #expect(!few.geoMatch(.ipv4, for: .prefixes).isComplement)
        let json = try JSONSerialization.jsonObject(with: Data(few.json.utf8)) as? [String: Any]
        #expect(json?["digest"] as? String == few.digest)
    }
}
