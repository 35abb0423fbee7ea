/// How an address list is written.
public enum CIDRListStyle: String, Sendable, CaseIterable {
    /// The minimal networks, `a/len`; a single address (/32, /128) is written bare, as
    /// `iprange` does.
    case networks
    /// The minimal ranges, `first-last`, a single address as `a-a`, as `iprange -j` does.
    case ranges
}

extension CIDRSet {
    /// Writes the set as text, one entry per line: IPv4 first, then IPv6, each ascending.
    ///
    /// - Parameter write: receives the text in chunks of at most about 256 KiB.
    public func writeList(
        style: CIDRListStyle, _ write: ([UInt8]) throws(GeoFilterError) -> Void
    ) throws(GeoFilterError) {
        var output: [UInt8] = []
        output.reserveCapacity(1 << 18 + 128)
        try Self.append(v4, style: style, to: &output, write)
        try Self.append(v6, style: style, to: &output, write)
        if !output.isEmpty { try write(output) }
    }

    /// The set as text (see ``writeList(style:_:)``).
    public func listText(style: CIDRListStyle) -> String {
        var text: [UInt8] = []
        try! writeList(style: style) { chunk in text.append(contentsOf: chunk) }
        return String(decoding: text, as: UTF8.self)
    }

    private static func append<V: AddressValue>(
        _ list: RangeList<V>, style: CIDRListStyle, to output: inout [UInt8],
        _ write: ([UInt8]) throws(GeoFilterError) -> Void
    ) throws(GeoFilterError) {
        for index in 0..<list.count {
            let low = list.lows[index]
            let high = list.highs[index]
            switch style {
            case .ranges:
                low.appendAddressText(to: &output)
                output.append(UInt8(ascii: "-"))
                high.appendAddressText(to: &output)
                output.append(UInt8(ascii: "\n"))
            case .networks:
                PrefixSplitter.split(low, high) { start, length in
                    start.appendAddressText(to: &output)
                    if length != V.bitWidth {
                        output.append(UInt8(ascii: "/"))
                        appendLength(length, to: &output)
                    }
                    output.append(UInt8(ascii: "\n"))
                }
            }
            if output.count >= 1 << 18 {
                try write(output)
                output.removeAll(keepingCapacity: true)
            }
        }
    }

    @inline(__always)
    fileprivate static func appendLength(_ length: Int, to output: inout [UInt8]) {
        AddressFormatter.appendDecimal(UInt8(length), to: &output)
    }
}

extension CIDRSet {
    /// How ``appendElements(_:style:before:after:to:)`` writes each element.
    enum ElementStyle {
        /// nftables set elements: `a` for one address, `a-b` for a range.
        case nftInterval
        /// ipset entries: `a/len` with the length always written, a /0 as its two halves.
        case ipsetNetwork
    }

    /// Appends every element of one family, each between `before` and `after`, straight into
    /// a byte buffer (the renderings write hundreds of thousands of them).
    func appendElements(
        _ family: IPAddressFamily, style: ElementStyle, before: [UInt8], after: [UInt8], to output: inout [UInt8]
    ) {
        switch (style, family) {
        case (.ipsetNetwork, _):
            // The entries the ipset backend loads (the minimal cover, a /0 as two halves).
            HashNetEntries(self, layout: HashNetLayout(minimal: prefixHistogram(family), family: family))
                .appendText(before: before, after: after, to: &output)
        case (.nftInterval, .ipv4): Self.appendIntervals(v4, before: before, after: after, to: &output)
        case (.nftInterval, .ipv6): Self.appendIntervals(v6, before: before, after: after, to: &output)
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
