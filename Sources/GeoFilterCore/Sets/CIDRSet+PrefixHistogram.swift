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
