/// Reading a ``CIDRSet`` back: minimal networks, minimal ranges, counts.
extension CIDRSet {
    /// Whether the set holds at least half of the addresses of `family`.
    public func holdsHalfOrMore(of family: IPAddressFamily) -> Bool {
        switch family {
        case .ipv4: v4.addressCount.map { $0 >= 1 << 31 } ?? !v4.isEmpty
        case .ipv6: v6.addressCount.map { $0 >= 1 << 127 } ?? !v6.isEmpty
        }
    }

    /// The minimal list of IPv4 networks covering exactly the set's IPv4 addresses, ascending.
    ///
    /// The minimal prefix cover of a set of addresses is unique, so this is what `iprange`
    /// prints for the same input.
    public var ipv4Networks: [IPv4Network] { Self.networks(of: v4) }

    /// The minimal list of IPv6 networks covering exactly the set's IPv6 addresses, ascending.
    public var ipv6Networks: [IPv6Network] { Self.networks(of: v6) }

    /// The set's IPv4 addresses as the fewest ranges (disjoint, non-adjacent), ascending.
    public var ipv4Ranges: [IPv4Range] { Self.ranges(of: v4) }

    /// The set's IPv6 addresses as the fewest ranges (disjoint, non-adjacent), ascending.
    public var ipv6Ranges: [IPv6Range] { Self.ranges(of: v6) }

    /// The number of ranges of a family (an nftables interval set's element pairs).
    public func rangeCount(_ family: IPAddressFamily) -> Int {
        family == .ipv4 ? v4.count : v6.count
    }

    /// The number of networks of a family in the minimal prefix cover (ipset `hash:net` entries).
    public func networkCount(_ family: IPAddressFamily) -> Int {
        family == .ipv4 ? v4.prefixCount : v6.prefixCount
    }

    /// The number of IPv4 addresses in the set (at most 2^32).
    public var ipv4AddressCount: UInt64 {
        v4.addressCount.map(UInt64.init) ?? (UInt64(1) << 32)
    }

    /// The number of IPv6 addresses in the set, approximately (at most 2^128).
    public var ipv6AddressCount: Double {
        guard let count = v6.addressCount else { return 0x1p128 }
        return Double(count)
    }

    private static func networks<Address: IPAddressProtocol, V: AddressValue>(
        of list: RangeList<V>
    ) -> [IPNetwork<Address>] where Address.Value == V {
        var result: [IPNetwork<Address>] = []
        list.forEachRange { low, high in
            PrefixSplitter.split(low, high) { start, length in
                result.append(IPNetwork(masking: Address(start), prefixLength: length))
            }
        }
        return result
    }

    private static func ranges<Address: IPAddressProtocol, V: AddressValue>(
        of list: RangeList<V>
    ) -> [IPAddressRange<Address>] where Address.Value == V {
        var result: [IPAddressRange<Address>] = []
        result.reserveCapacity(list.count)
        list.forEachRange { low, high in
            result.append(IPAddressRange(uncheckedFirst: Address(low), last: Address(high)))
        }
        return result
    }
}
