extension CIDRSet {
    /// Collects networks, ranges and addresses, then builds the canonical ``CIDRSet``.
    ///
    /// Memory stays proportional to the aggregated result plus one batch: pending input is
    /// merged into the result whenever the batch fills, so millions of overlapping inputs
    /// need no more memory than their union.
    public struct Builder: Sendable {
        private var pending4: [RangePair<UInt32>] = []
        private var pending6: [RangePair<UInt128>] = []
        private var merged4 = RangeList<UInt32>()
        private var merged6 = RangeList<UInt128>()
        private let batchSize: Int

        /// Creates an empty builder.
        ///
        /// - Parameter batchSize: how many ranges to collect before merging them into the
        ///   result; larger is faster, smaller bounds memory more tightly.
        public init(batchSize: Int = 1 << 20) {
            self.batchSize = Swift.max(batchSize, 16)
        }

        /// Adds every address of a network.
        public mutating func insert<Address>(_ network: IPNetwork<Address>) {
            insert(network.range)
        }

        /// Adds every address of a range.
        public mutating func insert<Address>(_ range: IPAddressRange<Address>) {
            switch Address.family {
            case .ipv4:
                insertIPv4(UInt32(truncatingIfNeeded: range.first.value), UInt32(truncatingIfNeeded: range.last.value))
            case .ipv6:
                insertIPv6(UInt128(truncatingIfNeeded: range.first.value), UInt128(truncatingIfNeeded: range.last.value))
            }
        }

        /// Adds one address.
        public mutating func insert(_ address: IPAddress) {
            switch address {
            case .v4(let a): insertIPv4(a.value, a.value)
            case .v6(let a): insertIPv6(a.value, a.value)
            }
        }

        /// Adds every address of another set.
        public mutating func insert(_ set: CIDRSet) {
            merged4 = merged4.union(set.v4)
            merged6 = merged6.union(set.v6)
        }

        /// Adds the IPv4 range `low...high` given as integers.
        @inline(__always)
        mutating func insertIPv4(_ low: UInt32, _ high: UInt32) {
            pending4.append(RangePair(low: low, high: high))
            if pending4.count >= batchSize { flush4() }
        }

        /// Adds the IPv6 range `low...high` given as integers.
        @inline(__always)
        mutating func insertIPv6(_ low: UInt128, _ high: UInt128) {
            pending6.append(RangePair(low: low, high: high))
            if pending6.count >= batchSize { flush6() }
        }

        private mutating func flush4() {
            let batch = RangeList(merging: pending4)
            pending4.removeAll(keepingCapacity: true)
            merged4 = merged4.isEmpty ? batch : merged4.union(batch)
        }

        private mutating func flush6() {
            let batch = RangeList(merging: pending6)
            pending6.removeAll(keepingCapacity: true)
            merged6 = merged6.isEmpty ? batch : merged6.union(batch)
        }

        /// The canonical set of everything inserted so far.
        ///
        /// - Complexity: O(n log n) in the number of ranges inserted since the last batch.
        public mutating func build() -> CIDRSet {
            flush4()
            flush6()
            return CIDRSet(v4: merged4, v6: merged6)
        }
    }
}
