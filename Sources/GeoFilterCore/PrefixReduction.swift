/// Fewer distinct prefix lengths in an ipset `hash:net` set, at the price of more entries.
///
/// The kernel looks a packet up once per distinct prefix length in a `hash:net` set, so a set
/// with 20 lengths costs 20 hash probes per packet. Expanding the networks of some lengths into
/// networks of a longer length that is kept (a /22 becomes four /24s) removes lengths. FireHOL's
/// `iprange --ipset-reduce` does this greedily for IPv4; this does it for both families and
/// optimally: the fewest lengths whose entries stay within the budget, and of those layouts
/// the one with the fewest entries.
public struct PrefixReduction: Sendable, Hashable, Codable {
    /// How much the entry count may grow, in percent of the minimal cover.
    public var maximumGrowthPercent: Int
    /// An entry count the set may always grow to, however small the minimal cover.
    public var entryAllowance: Int

    /// 20% growth or 16,384 entries, iprange's defaults.
    public static let standard = PrefixReduction(maximumGrowthPercent: 20, entryAllowance: 16_384)

    /// The largest budget honoured (64 Mi entries): more would not fit a kernel set anyway.
    static let budgetLimit = 1 << 26

    /// - Parameters:
    ///   - maximumGrowthPercent: 0 to 10,000.
    ///   - entryAllowance: 0 to 2^26.
    public init(maximumGrowthPercent: Int, entryAllowance: Int = 16_384) {
        self.maximumGrowthPercent = min(max(0, maximumGrowthPercent), 10_000)
        self.entryAllowance = min(max(0, entryAllowance), Self.budgetLimit)
    }

    /// The entry budget for a set whose minimal cover has `entries` entries.
    public func budget(forMinimal entries: Int) -> Int {
        min(max(entries + entries * maximumGrowthPercent / 100, entryAllowance), max(entries, Self.budgetLimit))
    }
}

/// How one family's networks become `hash:net` entries: the prefix length each network length
/// is expanded to, and what that costs.
public struct HashNetLayout: Sendable, Hashable {
    public let family: IPAddressFamily
    /// Entries in the kernel set.
    public let entries: Int
    /// Distinct prefix lengths in the set: hash probes per packet lookup.
    public let distinctLengths: Int
    /// The entry count of each prefix length in the set, by length.
    public let lengthCounts: [Int: Int]
    /// For each network length (index), the length its networks are written as.
    let targets: [Int]

    /// Kernel memory per entry measured on Linux 6.18 (`ipset list -t`, hash sized to the
    /// count): about 36 bytes for IPv4 and 54 for IPv6, buckets included.
    static func bytesPerEntry(_ family: IPAddressFamily) -> Int { family == .ipv4 ? 36 : 54 }

    /// The estimated kernel memory of the set, in bytes.
    public var estimatedMemory: Int { entries * Self.bytesPerEntry(family) }

    /// The layout that keeps every network as it is (the minimal cover).
    init(minimal histogram: [Int], family: IPAddressFamily) {
        self.init(family: family, histogram: histogram, targets: Array(histogram.indices))
    }

    /// The layout with the fewest distinct lengths whose entries fit `reduction`'s budget.
    init(reducing histogram: [Int], family: IPAddressFamily, reduction: PrefixReduction) {
        let present = histogram.indices.filter { histogram[$0] > 0 }
        var targets = Array(histogram.indices)
        if present.count > 1 {
            let minimal = histogram.reduce(0, +)
            for group in Self.bestGrouping(present.map { ($0, histogram[$0]) }, budget: reduction.budget(forMinimal: minimal)) {
                for length in group.dropLast() { targets[length] = group.last! }
            }
        }
        self.init(family: family, histogram: histogram, targets: targets)
    }

    private init(family: IPAddressFamily, histogram: [Int], targets: [Int]) {
        self.family = family
        self.targets = targets
        var counts: [Int: Int] = [:]
        for (length, count) in histogram.enumerated() where count > 0 {
            counts[targets[length], default: 0] += Self.expanded(count, by: targets[length] - length)
        }
        lengthCounts = counts
        entries = counts.values.reduce(0) { $0.addingReportingOverflow($1).overflow ? Int.max : $0 + $1 }
        distinctLengths = counts.count
    }

    /// `count` networks written as networks `bits` longer: count * 2^bits, saturating.
    static func expanded(_ count: Int, by bits: Int) -> Int {
        guard bits > 0 else { return count }
        guard bits < 62, count <= Int.max >> bits else { return Int.max }
        return count << bits
    }

    /// Splits the present lengths (ascending, with counts) into runs, each written at its
    /// longest length: the fewest runs whose total entries fit the budget, and of those the
    /// fewest entries (dynamic programming over run boundaries). Falls back to no reduction.
    static func bestGrouping(_ lengths: [(length: Int, count: Int)], budget: Int) -> [[Int]] {
        let m = lengths.count
        let unreachable = Int.max
        // best[g][j]: the fewest entries covering lengths[0..<j] with g runs; from[g][j]: the
        // start of the last run.
        var best = [[Int]](repeating: [Int](repeating: unreachable, count: m + 1), count: m + 1)
        var from = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: m + 1)
        best[0][0] = 0
        for runs in 1...m {
            for end in 1...m {
                // The run is lengths[start..<end], written at lengths[end - 1].
                var runCost = 0
                for start in stride(from: end - 1, through: 0, by: -1) {
                    let bits = lengths[end - 1].length - lengths[start].length
                    let add = expanded(lengths[start].count, by: bits)
                    runCost = runCost.addingReportingOverflow(add).overflow ? unreachable : runCost + add
                    if runCost == unreachable { break }
                    let before = best[runs - 1][start]
                    guard before != unreachable else { continue }
                    let total = before.addingReportingOverflow(runCost)
                    if !total.overflow, total.partialValue < best[runs][end] {
                        best[runs][end] = total.partialValue
                        from[runs][end] = start
                    }
                }
            }
            if best[runs][m] <= budget { return groups(lengths, from, runs: runs) }
        }
        return lengths.map { [$0.length] }
    }

    private static func groups(_ lengths: [(length: Int, count: Int)], _ from: [[Int]], runs: Int) -> [[Int]] {
        var result: [[Int]] = []
        var end = lengths.count
        for run in stride(from: runs, through: 1, by: -1) {
            let start = from[run][end]
            result.append(lengths[start..<end].map(\.length))
            end = start
        }
        return result.reversed()
    }
}

/// The entries of one family's `hash:net` set, as libipset takes them: big-endian addresses
/// (4 or 16 bytes each) and prefix lengths.
struct HashNetEntries {
    let family: IPAddressFamily
    var addresses: [UInt8] = []
    var lengths: [UInt8] = []

    var count: Int { lengths.count }

    /// The networks of `set`'s `family` written with `layout`'s lengths (a /0, which
    /// `hash:net` cannot hold, as its two halves).
    init(_ set: CIDRSet, layout: HashNetLayout) {
        family = layout.family
        switch family {
        case .ipv4: append(set.v4, targets: layout.targets)
        case .ipv6: append(set.v6, targets: layout.targets)
        }
    }

    /// A single network.
    init(_ network: IPv4Network) {
        family = .ipv4
        addresses = withUnsafeBytes(of: network.address.value.bigEndian) { Array($0) }
        lengths = [UInt8(network.prefixLength)]
    }

    private mutating func append<V: AddressValue>(_ list: RangeList<V>, targets: [Int]) {
        list.forEachRange { low, high in
            PrefixSplitter.split(low, high) { start, length in
                let pieces = length == 0 ? [(V(0), 1), (V(1) << (V.bitWidth - 1), 1)] : [(start, length)]
                for (first, bits) in pieces {
                    let target = targets[bits]
                    let step = V(1) << (V.bitWidth - target)
                    var address = first
                    for _ in 0..<(1 << (target - bits)) {
                        withUnsafeBytes(of: address.bigEndian) { addresses.append(contentsOf: $0) }
                        lengths.append(UInt8(target))
                        address &+= step
                    }
                }
            }
        }
    }
}

extension CIDRSet {
    /// How many networks of each prefix length the minimal cover of a family has (index:
    /// length; a /0 counted as two /1s, as `hash:net` holds it).
    func prefixHistogram(_ family: IPAddressFamily) -> [Int] {
        switch family {
        case .ipv4: Self.histogram(v4)
        case .ipv6: Self.histogram(v6)
        }
    }

    private static func histogram<V: AddressValue>(_ list: RangeList<V>) -> [Int] {
        var counts = [Int](repeating: 0, count: V.bitWidth + 1)
        list.forEachRange { low, high in
            PrefixSplitter.split(low, high) { _, length in
                if length == 0 { counts[1] += 2 } else { counts[length] += 1 }
            }
        }
        return counts
    }
}
