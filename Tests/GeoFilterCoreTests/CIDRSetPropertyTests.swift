import Testing

@testable import GeoFilterCore

/// Brute-force reference: a window of 1024 consecutive addresses as a bitmap, and a naive
/// radix trie over it (a block is full when both halves are full) for the minimal cover.
private struct Window<V: AddressValue> {
    static var size: Int { 1024 }
    let base: V
    var bits = [Bool](repeating: false, count: Window.size)

    init(base: V) { self.base = base }

    mutating func insert(_ low: V, _ high: V) {
        for offset in Int(low - base)...Int(high - base) { bits[offset] = true }
    }

    /// The maximal runs of set bits, as absolute ranges.
    var ranges: [(V, V)] {
        var result: [(V, V)] = []
        var start: Int?
        for offset in 0...Window.size {
            let set = offset < Window.size && bits[offset]
            if set, start == nil { start = offset }
            if !set, let first = start {
                result.append((base + V(first), base + V(offset - 1)))
                start = nil
            }
        }
        return result
    }

    /// The maximal full aligned blocks (the unique minimal prefix cover), computed bottom-up.
    var networks: [(V, Int)] {
        var levels = [bits]  // levels[k][i]: block i of size 2^k is full
        while levels.last!.count > 1 {
            let below = levels.last!
            levels.append((0..<below.count / 2).map { below[2 * $0] && below[2 * $0 + 1] })
        }
        var result: [(V, Int)] = []
        for level in (0..<levels.count).reversed() {
            for index in levels[level].indices where levels[level][index] {
                let parentFull = level + 1 < levels.count && levels[level + 1][index / 2]
                if !parentFull { result.append((base + V(index << level), V.bitWidth - level)) }
            }
        }
        return result.sorted { $0.0 < $1.0 }
    }
}

@Suite("CIDRSet aggregation and algebra against a brute-force model")
struct CIDRSetPropertyTests {
    /// Random input inside the window: prefixes /22.../32 (or /118.../128), ranges, single
    /// addresses, with repeats, overlaps and adjacency.
    private static func randomInput<V: AddressValue>(
        base: V, using rng: inout SeededGenerator
    ) -> [(V, V)] {
        (0..<Int.random(in: 0...40, using: &rng)).map { _ in
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                let blockBits = Int.random(in: 0...10, using: &rng)
                let start = Int.random(in: 0..<(1024 >> blockBits), using: &rng) << blockBits
                return (base + V(start), base + V(start + (1 << blockBits) - 1))
            case 1:
                let a = Int.random(in: 0..<1024, using: &rng)
                let b = Int.random(in: a..<Swift.min(1024, a + 200), using: &rng)
                return (base + V(a), base + V(b))
            default:
                let a = base + V(Int.random(in: 0..<1024, using: &rng))
                return (a, a)
            }
        }
    }

    private static func check<V: AddressValue>(base: V, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let input = randomInput(base: base, using: &rng)
            var window = Window(base: base)
            for (low, high) in input { window.insert(low, high) }
            let list = RangeList(merging: input.map { RangePair(low: $0.0, high: $0.1) })
            let ranges = zip(list.lows, list.highs).map { ($0, $1) }
            #expect(ranges.elementsEqual(window.ranges, by: ==), "ranges, seed \(seed)")
            var networks: [(V, Int)] = []
            list.forEachRange { low, high in PrefixSplitter.split(low, high) { networks.append(($0, $1)) } }
            #expect(networks.elementsEqual(window.networks, by: ==), "networks, seed \(seed)")
            #expect(list.prefixCount == networks.count)
            // The same input in another order gives the identical value.
            let shuffled = RangeList(merging: input.shuffled(using: &rng).map { RangePair(low: $0.0, high: $0.1) })
            #expect(shuffled == list)
            for offset in [0, 1, 511, 1023] + (0..<20).map({ _ in Int.random(in: 0..<1024, using: &rng) }) {
                #expect(list.contains(base + V(offset)) == window.bits[offset])
            }
        }
    }

    @Test("IPv4 windows at the bottom, middle and top of the space", arguments: propertySeeds)
    func ipv4(seed: UInt64) {
        for base: UInt32 in [0, 0x0A00_0000, UInt32.max - 1023] { Self.check(base: base, seed: seed) }
    }

    @Test("IPv6 windows at the bottom, middle and top of the space", arguments: propertySeeds)
    func ipv6(seed: UInt64) {
        for base: UInt128 in [0, UInt128(0x2001_0db8) << 96, UInt128.max - 1023] { Self.check(base: base, seed: seed) }
    }

    @Test("Whole-space edges: /0, the last address, adjacency across the top")
    func wholeSpace() throws {
        let all = try CIDRSet(parsing: ["0.0.0.0/0", "::/0"])
        #expect(all == CIDRSet.all)
        #expect(all.ipv4Networks.map(\.description) == ["0.0.0.0/0"])
        #expect(all.ipv6Networks.map(\.description) == ["::/0"])
        #expect(all.ipv4AddressCount == 1 << 32)
        #expect(all.complement().isEmpty)
        let top = try CIDRSet(parsing: ["255.255.255.255", "255.255.255.254/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"])
        #expect(top.listText(style: .networks) == "255.255.255.254/31\nffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n")
        let halves = try CIDRSet(parsing: ["0.0.0.0/1", "128.0.0.0-255.255.255.255"])
        #expect(halves.ipv4Networks.map(\.description) == ["0.0.0.0/0"])
        #expect(try CIDRSet(parsing: ["0.0.0.0"]).complement().restricted(to: .ipv4).ipv4Ranges.map(\.description)
            == ["0.0.0.1-255.255.255.255"])
    }

    /// Random sets made of prefixes anywhere in the space, for the algebra laws.
    private static func randomSet(using rng: inout SeededGenerator) -> CIDRSet {
        var builder = CIDRSet.Builder()
        for _ in 0..<Int.random(in: 0...12, using: &rng) {
            let v4 = IPNetwork(masking: IPv4Address(UInt32.random(in: 0...UInt32.max, using: &rng)),
                prefixLength: Int.random(in: 0...32, using: &rng))
            builder.insert(v4)
            let v6 = IPNetwork(masking: IPv6Address(UInt128.random(using: &rng)),
                prefixLength: Int.random(in: 0...128, using: &rng))
            builder.insert(v6)
        }
        return builder.build()
    }

    @Test("Set algebra laws hold", arguments: propertySeeds)
    func laws(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let a = Self.randomSet(using: &rng)
            let b = Self.randomSet(using: &rng)
            let c = Self.randomSet(using: &rng)
            #expect(a.union(b) == b.union(a))
            #expect(a.intersection(b) == b.intersection(a))
            #expect(a.union(b).union(c) == a.union(b.union(c)))
            #expect(a.intersection(b).intersection(c) == a.intersection(b.intersection(c)))
            #expect(a.intersection(b.union(c)) == a.intersection(b).union(a.intersection(c)))
            #expect(a.union(b.intersection(c)) == a.union(b).intersection(a.union(c)))
            #expect(a.union(b).complement() == a.complement().intersection(b.complement()))
            #expect(a.intersection(b).complement() == a.complement().union(b.complement()))
            #expect(a.subtracting(b) == a.intersection(b.complement()))
            #expect(a.complement().complement() == a)
            #expect(a.union(a.complement()) == CIDRSet.all)
            #expect(a.intersection(a.complement()).isEmpty)
            #expect(a.union(a) == a && a.intersection(a) == a)
            #expect(a.symmetricDifference(b) == a.union(b).subtracting(a.intersection(b)))
            #expect(a.subtracting(b).isSubset(of: a))
            // Views rebuild the same set.
            #expect(CIDRSet(a.ipv4Networks).union(CIDRSet(a.ipv6Networks)) == a)
            #expect(CIDRSet(a.ipv4Ranges).union(CIDRSet(a.ipv6Ranges)) == a)
            // Membership agrees with the operations on random probes.
            for _ in 0..<20 {
                let probe4 = IPv4Address(UInt32.random(in: 0...UInt32.max, using: &rng))
                #expect(a.union(b).contains(probe4) == (a.contains(probe4) || b.contains(probe4)))
                #expect(a.subtracting(b).contains(probe4) == (a.contains(probe4) && !b.contains(probe4)))
                let probe6 = IPv6Address(UInt128.random(using: &rng))
                #expect(a.intersection(b).contains(probe6) == (a.contains(probe6) && b.contains(probe6)))
                #expect(a.complement().contains(probe6) == !a.contains(probe6))
            }
        }
    }

    @Test("A small batch size bounds memory and gives the same set")
    func batching() {
        var rng = SeededGenerator(seed: 7)
        var small = CIDRSet.Builder(batchSize: 16)
        var large = CIDRSet.Builder()
        for _ in 0..<5_000 {
            let network = IPNetwork(masking: IPv4Address(UInt32.random(in: 0...UInt32.max, using: &rng)),
                prefixLength: Int.random(in: 8...32, using: &rng))
            small.insert(network)
            large.insert(network)
        }
        #expect(small.build() == large.build())
    }
}
