/// The nf_tables encodings of address sets: interval element text for `nft -f` and the
/// big-endian interval bounds the netlink messages carry.
extension CIDRSet {
    /// Appends every range of one family as nftables set element text (`a` for one address,
    /// `a-b` for a range), each between `before` and `after`, straight into a byte buffer (the
    /// `nft -f` rendering writes hundreds of thousands of them).
    func appendIntervalElements(
        _ family: IPAddressFamily, before: [UInt8], after: [UInt8], to output: inout [UInt8]
    ) {
        switch family {
        case .ipv4: Self.appendIntervals(v4, before: before, after: after, to: &output)
        case .ipv6: Self.appendIntervals(v6, before: before, after: after, to: &output)
        }
    }

    private static func appendIntervals<V: AddressValue>(
        _ list: RangeList<V>, before: [UInt8], after: [UInt8], to output: inout [UInt8]
    ) {
        for index in 0..<list.count {
            let low = list.lows[index]
            let high = list.highs[index]
            output.append(contentsOf: before)
            low.appendAddressText(to: &output)
            if high != low {
                output.append(UInt8(ascii: "-"))
                high.appendAddressText(to: &output)
            }
            output.append(contentsOf: after)
        }
    }
}

extension CIDRSet {
    /// The set's ranges of one family as big-endian first and last addresses back to back
    /// (4 + 4 bytes per IPv4 range, 16 + 16 per IPv6 range): the nf_tables interval encoding.
    func rangeBounds(_ family: IPAddressFamily) -> [UInt8] {
        family == .ipv4 ? v4.bigEndianBounds : v6.bigEndianBounds
    }
}

extension RegionSegments {
    /// The segments' first and last addresses, big-endian, back to back (as
    /// ``CIDRSet/rangeBounds(_:)``).
    var bigEndianBounds: [UInt8] {
        switch ranges {
        case .ipv4(let list): list.bigEndianBounds
        case .ipv6(let list): list.bigEndianBounds
        }
    }
}

extension RangeList {
    /// First and last of each range, big-endian, back to back.
    var bigEndianBounds: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * V.bitWidth / 4)
        forEachRange { low, high in
            for value in [low, high] {
                for shift in stride(from: V.bitWidth - 8, through: 0, by: -8) {
                    bytes.append(UInt8(truncatingIfNeeded: value >> shift))
                }
            }
        }
        return bytes
    }
}

extension CIDRSet {
    /// The ranges of one family that differ between two sets, compared as exact ranges (an
    /// nf_tables interval can only be deleted as it was added): those only in `old` and those
    /// only in `new`, as big-endian bounds (see ``rangeBounds(_:)``), with their counts.
    static func rangeChanges(
        from old: CIDRSet, to new: CIDRSet, _ family: IPAddressFamily
    ) -> (removed: [UInt8], removedCount: Int, added: [UInt8], addedCount: Int) {
        switch family {
        case .ipv4: rangeChanges(old.v4, new.v4)
        case .ipv6: rangeChanges(old.v6, new.v6)
        }
    }

    private static func rangeChanges<V: AddressValue>(
        _ old: RangeList<V>, _ new: RangeList<V>
    ) -> (removed: [UInt8], removedCount: Int, added: [UInt8], addedCount: Int) {
        var removed = RangeList<V>()
        var added = RangeList<V>()
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            if i < old.count && j < new.count && old.lows[i] == new.lows[j] && old.highs[i] == new.highs[j] {
                i += 1
                j += 1
            } else if j == new.count || (i < old.count && old.lows[i] <= new.lows[j]) {
                removed.lows.append(old.lows[i])
                removed.highs.append(old.highs[i])
                i += 1
            } else {
                added.lows.append(new.lows[j])
                added.highs.append(new.highs[j])
                j += 1
            }
        }
        return (removed.bigEndianBounds, removed.count, added.bigEndianBounds, added.count)
    }
}

extension FirewallPlan {
    /// The per-country map's entries of one family (see `counterEntries(_:)`) as big-endian
    /// interval bounds, with each entry's region.
    func counterBounds(_ family: IPAddressFamily) -> (bounds: [UInt8], regions: [RegionCode]) {
        let segments = counterEntries(family)
        return (segments.bigEndianBounds, segments.regions)
    }
}
