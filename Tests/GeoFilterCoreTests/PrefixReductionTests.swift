import Foundation
import GeoFilterTestSupport
import Testing

@testable import GeoFilterCore

@Suite("Prefix-length reduction for hash:net sets")
struct PrefixReductionTests {
    /// The entries of a layout, as text, for the set of addresses they cover.
    private func expandedSet(_ set: CIDRSet, _ family: IPAddressFamily, _ layout: HashNetLayout) throws -> (set: CIDRSet, lengths: Set<UInt8>) {
        let entries = HashNetEntries(set, layout: layout)
        var bytes: [UInt8] = []
        entries.appendText(before: [], after: [10], to: &bytes)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == layout.entries)
        return (try CIDRSet(parsing: lines), Set(entries.lengths))
    }

    /// Every grouping of the present lengths into runs, by brute force: the fewest runs within
    /// the budget and, among those, the fewest entries.
    private func bruteForce(_ histogram: [Int], budget: Int) -> (runs: Int, entries: Int) {
        let present = histogram.indices.filter { histogram[$0] > 0 }
        var best = (runs: present.count, entries: histogram.reduce(0, +))
        // Each present length but the longest either ends a run (kept) or not.
        let choices = present.count - 1
        for mask in 0..<(1 << choices) {
            var kept = (0..<choices).filter { mask & (1 << $0) != 0 }.map { present[$0] }
            kept.append(present.last!)
            var entries = 0
            for length in present {
                let target = kept.first { $0 >= length }!
                entries += histogram[length] << (target - length)
            }
            if entries <= budget, (kept.count, entries) < (best.runs, best.entries) || (kept.count == best.runs && entries < best.entries) {
                best = (kept.count, entries)
            }
        }
        return best
    }

    @Test("The layout is optimal: as few lengths as brute force finds within the budget, and as few entries")
    func optimal() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var histogram = [Int](repeating: 0, count: 33)
            for _ in 0..<Int.random(in: 1...9, using: &generator) {
                histogram[Int.random(in: 8...32, using: &generator)] += Int.random(in: 1...400, using: &generator)
            }
            let reduction = PrefixReduction(maximumGrowthPercent: Int.random(in: 0...200, using: &generator), entryAllowance: Int.random(in: 0...2_000, using: &generator))
            let minimal = histogram.reduce(0, +)
            let layout = HashNetLayout(reducing: histogram, family: .ipv4, reduction: reduction)
            let expected = bruteForce(histogram, budget: reduction.budget(forMinimal: minimal))
            #expect(layout.distinctLengths == expected.runs, "\(histogram) \(reduction)")
            #expect(layout.entries == expected.entries, "\(histogram) \(reduction)")
            #expect(layout.entries <= max(minimal, reduction.budget(forMinimal: minimal)))
        }
    }

    @Test("Reduced entries cover exactly the same addresses, for IPv4 and IPv6, the whole space included")
    func sameAddresses() throws {
        let sets = [
            try CIDRSet(parsing: ["0.0.0.0/0", "::/0"]),
            try CIDRSet(parsing: ["10.0.0.0/8", "192.168.1.0/24", "192.168.2.7", "172.16.0.0/13", "2001:db8::/32", "2001:db9::1", "fe80::/10"]),
        ]
        for set in sets {
            for family in IPAddressFamily.allCases {
                for reduction in [PrefixReduction.standard, PrefixReduction(maximumGrowthPercent: 0, entryAllowance: 0)] {
                    let layout = HashNetLayout(reducing: set.prefixHistogram(family), family: family, reduction: reduction)
                    let expanded = try expandedSet(set, family, layout)
                    #expect(expanded.set == set.restricted(to: family))
                    #expect(expanded.lengths.count == layout.distinctLengths)
                }
            }
        }
    }

    @Test("Against iprange --ipset-reduce on real country data: the same addresses, no more prefix lengths, within the budget",
          .enabled(if: TestPaths.available("/usr/share/tor/geoip", "/usr/bin/iprange"), "needs tor-geoipdb and iprange"))
    func againstIprange() throws {
        let database = try GeoDatabase.load(.ipfire(ipv4: "/usr/share/tor/geoip", ipv6: "/usr/share/tor/geoip6"))
        for (codes, percent, allowance) in [("CN", 20, 16_384), ("US", 20, 16_384), ("DE,FR,GB", 5, 1_000), ("RU,BR", 50, 0)] {
            let countries = try codes.split(separator: ",").map { try Country(code: $0) }
            let set = database.addresses(of: countries).restricted(to: .ipv4)
            let file = try TestPaths.temporaryFile(set.ipv4Networks.map(\.description).joined(separator: "\n") + "\n")
            let result = try runProcess("/usr/bin/iprange", ["--ipset-reduce", "\(percent)", "--ipset-reduce-entries", "\(allowance)", file])
            try #require(result.status == 0, "\(result.standardError)")
            let theirs = result.standardOutput.split(separator: "\n")
            let theirLengths = Set(theirs.map { $0.contains("/") ? $0.split(separator: "/")[1] : "32" })
            let reduction = PrefixReduction(maximumGrowthPercent: percent, entryAllowance: allowance)
            let layout = HashNetLayout(reducing: set.prefixHistogram(.ipv4), family: .ipv4, reduction: reduction)
            let ours = try expandedSet(set, .ipv4, layout)
            #expect(try CIDRSet(parsing: theirs) == set, "iprange itself keeps the addresses (\(codes))")
            #expect(ours.set == set, "\(codes)")
            #expect(layout.distinctLengths <= theirLengths.count, "\(codes): ours \(layout.distinctLengths), iprange \(theirLengths.count)")
            #expect(layout.entries <= reduction.budget(forMinimal: set.networkCount(.ipv4)))
        }
    }
}
