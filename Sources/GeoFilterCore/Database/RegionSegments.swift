/// Address segments of one family with the region each belongs to, ascending. Unlike a
/// ``CIDRSet``'s ranges, segments of different regions may touch; those of one region never do.
struct RegionSegments: Sendable {
    /// The segments' bounds, in the family's integer type.
    enum Ranges: Sendable {
        case ipv4(RangeList<UInt32>)
        case ipv6(RangeList<UInt128>)
    }

    var ranges: Ranges
    /// The region of each segment, in the same order.
    var regions: [RegionCode]
}
