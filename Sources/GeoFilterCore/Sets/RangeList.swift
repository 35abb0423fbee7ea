/// A canonical set of integers of one address family: sorted, disjoint, non-adjacent inclusive
/// ranges. Two `RangeList`s hold the same integers exactly when they are equal.
///
/// This is the aggregator behind ``CIDRSet``. A binary radix trie with path compression that
/// merges sibling leaves yields the unique minimal prefix cover of a union of ranges; sorting
/// the ranges and merging overlapping or adjacent neighbours yields the same canonical ranges
/// with flat arrays instead of nodes (a few bytes per range, cache-friendly binary search),
/// and ``PrefixSplitter`` turns each range into its unique minimal prefix list.
struct RangeList<V: AddressValue>: Hashable, Sendable {
    /// The first integer of each range, ascending.
    var lows: [V]
    /// The last integer of each range; `highs[i] + 1 < lows[i + 1]`.
    var highs: [V]

    init() {
        lows = []
        highs = []
    }

    /// Wraps arrays that already are canonical.
    init(canonicalLows lows: [V], highs: [V]) {
        self.lows = lows
        self.highs = highs
        invariantCheck()
    }

    /// Builds the canonical list of any ranges: unsorted, overlapping, adjacent or repeated.
    ///
    /// - Complexity: O(n log n); O(n) when the input is already sorted.
    init(merging ranges: consuming [RangePair<V>]) {
        ranges.sort { $0.low < $1.low }
        self.init()
        lows.reserveCapacity(ranges.count)
        highs.reserveCapacity(ranges.count)
        for range in ranges { appendMerging(range.low, range.high) }
        invariantCheck()
    }

    var count: Int { lows.count }
    var isEmpty: Bool { lows.isEmpty }

    /// Appends a range that starts at or after the start of the last range, merging it with
    /// the last range when they overlap or touch.
    @inline(__always)
    mutating func appendMerging(_ low: V, _ high: V) {
        if let last = highs.last, last == V.max || last &+ 1 >= low {
            if high > last { highs[highs.count - 1] = high }
        } else {
            lows.append(low)
            highs.append(high)
        }
    }

    /// The index of the range that contains `value`, if any.
    ///
    /// - Complexity: O(log n).
    @inline(__always)
    func index(containing value: V) -> Int? {
        // The last range whose low is <= value.
        var lower = 0
        var upper = lows.count
        while lower < upper {
            let middle = (lower + upper) >> 1
            if lows[middle] <= value { lower = middle + 1 } else { upper = middle }
        }
        guard lower > 0, value <= highs[lower - 1] else { return nil }
        return lower - 1
    }

    func contains(_ value: V) -> Bool { index(containing: value) != nil }

    /// Calls `body(low, high)` for each range, ascending.
    @inline(__always)
    func forEachRange(_ body: (V, V) throws -> Void) rethrows {
        for index in lows.indices { try body(lows[index], highs[index]) }
    }

    /// The number of addresses, or nil when it does not fit in `V` (the whole space).
    var addressCount: V? {
        var total: V = 0
        for index in lows.indices {
            let (size, overflow1) = (highs[index] - lows[index]).addingReportingOverflow(1)
            let (sum, overflow2) = total.addingReportingOverflow(size)
            if overflow1 || overflow2 { return nil }
            total = sum
        }
        return total
    }

    /// The number of prefixes in the minimal prefix cover.
    var prefixCount: Int {
        var total = 0
        forEachRange { total += PrefixSplitter.count($0, $1) }
        return total
    }

    func invariantCheck() {
        #if GEOFILTER_INTERNAL_CHECKS
        precondition(lows.count == highs.count)
        for index in lows.indices {
            precondition(lows[index] <= highs[index], "reversed range")
            if index > 0 {
                precondition(highs[index - 1] < V.max && highs[index - 1] + 1 < lows[index], "not canonical")
            }
        }
        #endif
    }
}

/// One inclusive range of integers, the unit the aggregator sorts and merges.
struct RangePair<V: AddressValue>: Sendable {
    var low: V
    var high: V
}
