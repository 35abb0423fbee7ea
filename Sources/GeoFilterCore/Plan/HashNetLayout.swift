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
