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
