/// Splits an inclusive range of integers into the fewest aligned power-of-two blocks: the
/// unique minimal CIDR cover of the range.
enum PrefixSplitter {
    /// Calls `emit(start, prefixLength)` for each block of `low...high`, in ascending order.
    ///
    /// - Complexity: O(bit width) per emitted block.
    @inline(__always)
    static func split<V: FixedWidthInteger & UnsignedInteger>(
        _ low: V, _ high: V, _ emit: (V, Int) -> Void
    ) {
        var start = low
        while true {
            let alignment = start == 0 ? V.bitWidth : start.trailingZeroBitCount
            let remaining = high &- start  // addresses left, minus one
            let fitting = remaining == V.max ? V.bitWidth : V.bitWidth - (remaining &+ 1).leadingZeroBitCount - 1
            let blockBits = min(alignment, fitting)
            emit(start, V.bitWidth - blockBits)
            let last = start | V.hostMask(prefixLength: V.bitWidth - blockBits)
            if last >= high { return }
            start = last &+ 1
        }
    }

    /// The number of blocks `split` would emit for `low...high`.
    static func count<V: FixedWidthInteger & UnsignedInteger>(_ low: V, _ high: V) -> Int {
        var blocks = 0
        split(low, high) { _, _ in blocks += 1 }
        return blocks
    }
}
