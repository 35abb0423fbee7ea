/// The flattened map of one family: sorted, disjoint segments, each with one region code;
/// addresses in no segment are unknown. Adjacent segments have different codes.
///
/// IPv4 lookups index a table by the top 16 bits of the address, then binary-search the few
/// segments that start within that slice of the space; IPv6 lookups use a ``RadixIndex``,
/// since IPv6 data is dense in a few small parts of the space.
struct SegmentMap<V: AddressValue>: Sendable {
    private(set) var starts: [V] = []
    /// The end and code of each segment, side by side so a lookup's last step reads one
    /// cache line.
    private(set) var tails: [Tail] = []

    /// The end and code of a segment.
    struct Tail: Sendable {
        var end: V
        var code: RegionCode
    }

    /// The last address of segment `index`.
    func end(_ index: Int) -> V { tails[index].end }
    /// The code of segment `index`.
    func code(_ index: Int) -> RegionCode { tails[index].code }
    /// `slices[b]`: the number of segments that start below slice `b` (top 16 bits).
    private var slices: [Int32] = []
    /// IPv6 only: the space cut into pieces (segments and the gaps between them), indexed by
    /// the top 64 bits of each piece's start (nearly all IPv6 boundaries fall on /64 or
    /// shorter prefixes), each with its code key (0 for a gap) and a flag when the start has
    /// low bits set, in which case `pieceStarts` holds it exactly.
    private var radix: RadixIndex?
    private var pieceStarts: [V] = []
    private static var exactStartFlag: UInt64 { 1 << 16 }
    /// Up to this many IPv4 segments, lookups search them all instead of using `slices`.
    private static var directSearchLimit: Int { 32 }

    init() { buildIndex() }

    /// Wraps segments that are already sorted and disjoint (a decoded snapshot).
    init(starts: [V], ends: [V], codes: [RegionCode]) {
        self.starts = starts
        self.tails = zip(ends, codes).map { Tail(end: $0, code: $1) }
        buildIndex()
    }

    /// Builds the map from rows (any order, overlaps allowed). Where rows overlap, the more
    /// specific (smaller) row wins; between rows of equal size the later row wins.
    init(rows: inout [GeoRow<V>], report: inout ParseReport, locate: (UInt16, Int32) -> GeoFilterError.Location) {
        // Sort by start; among equal starts, the input order is kept (the sort is stable).
        rows.sort { $0.low < $1.low }
        var active = ActiveRows<V>()
        var next = 0
        var position: V = 0
        while true {
            active.dropEnded(before: position)
            if active.isEmpty {
                guard next < rows.count else { break }
                position = rows[next].low
            }
            while next < rows.count && rows[next].low == position {
                let row = rows[next]
                let (same, other) = active.overlapping(row)
                if same { report.duplicateRows += 1 }
                if let other {
                    let first = locate(other.file, other.line)
                    report.conflict(.init(
                        location: locate(row.file, row.line),
                        message: "\(V.rangeText(row.low, row.high)) \(row.code) overlaps \(V.rangeText(other.low, other.high)) \(other.code) of \(first)"))
                }
                active.insert(row, order: next)
                next += 1
            }
            guard let top = active.top else { continue }
            var end = top.high
            if next < rows.count && rows[next].low <= end { end = rows[next].low - 1 }
            append(position, end, top.code)
            if end == V.max { break }
            position = end + 1
        }
        buildIndex()
    }

    private mutating func append(_ start: V, _ end: V, _ code: RegionCode) {
        if let last = tails.last, last.end &+ 1 == start, last.code == code, last.end != V.max {
            tails[tails.count - 1].end = end
        } else {
            starts.append(start)
            tails.append(Tail(end: end, code: code))
        }
    }

    private mutating func buildIndex() {
        if V.bitWidth > 64 {
            buildPieces()
            return
        }
        // A few segments are searched directly: the 65,537-entry table would cost more.
        guard starts.count > Self.directSearchLimit else {
            slices = []
            return
        }
        // slices[b] is the index of the first segment starting in slice b or later: fill
        // the slices up to each start's slice with its index, in runs (no per-slice loop, so
        // a small map is indexed in microseconds).
        slices = [Int32](repeating: Int32(starts.count), count: (1 << 16) + 1)
        slices.withUnsafeMutableBufferPointer { table in
            var next = 0  // the first slice not yet filled
            for index in starts.indices {
                let slice = Int(truncatingIfNeeded: starts[index] >> (V.bitWidth - 16))
                if slice >= next {
                    UnsafeMutableBufferPointer(rebasing: table[next...slice]).update(repeating: Int32(index))
                    next = slice + 1
                }
            }
        }
    }

    var count: Int { starts.count }

    /// IPv6: cuts the space into segment and gap pieces and indexes their starts.
    private mutating func buildPieces() {
        var entries: [RadixIndex.Entry] = []
        var exact: [V] = []
        entries.reserveCapacity(2 * starts.count + 1)
        exact.reserveCapacity(2 * starts.count + 1)
        func add(_ start: V, _ code: UInt16) {
            let key = UInt64(truncatingIfNeeded: start >> (V.bitWidth - 64))
            let lowBits = start & V.hostMask(prefixLength: 64)
            entries.append(.init(key: key, value: UInt64(code) | (lowBits != 0 ? Self.exactStartFlag : 0)))
            exact.append(start)
        }
        var next: V? = 0  // the first address after the previous segment
        for index in starts.indices {
            if let gap = next, gap < starts[index] { add(gap, 0) }
            add(starts[index], tails[index].code.key)
            next = tails[index].end == V.max ? nil : tails[index].end + 1
        }
        if let gap = next { add(gap, 0) }
        radix = RadixIndex(entries: entries)
        pieceStarts = exact
    }

    /// The index of the segment holding `address`, if any.
    ///
    /// - Complexity: O(log k), k the number of segments starting in the address's /16 slice.
    @inline(__always)
    func segment(containing address: V) -> Int? {
        var lower: Int
        var upper: Int
        if V.bitWidth > 64 || slices.isEmpty {
            lower = 0
            upper = starts.count
        } else {
            let slice = Int(truncatingIfNeeded: address >> (V.bitWidth - 16))
            lower = Int(slices[slice])
            upper = Int(slices[slice + 1])
            // The segment covering the start of the slice may start in an earlier slice.
            if lower > 0 { lower -= 1 }
        }
        while lower < upper {
            let middle = (lower + upper) >> 1
            if starts[middle] <= address { lower = middle + 1 } else { upper = middle }
        }
        guard lower > 0, address <= tails[lower - 1].end else { return nil }
        return lower - 1
    }

    /// The region of `address`, if known.
    @inline(__always)
    func code(of address: V) -> RegionCode? {
        if V.bitWidth > 64, let radix {
            let key = UInt64(truncatingIfNeeded: address >> (V.bitWidth - 64))
            var piece = radix.count(atOrBelow: key) - 1
            // Pieces that share the address's top 64 bits but start above it.
            while piece > 0 && radix.entries[piece].value & Self.exactStartFlag != 0
                && radix.entries[piece].key == key && pieceStarts[piece] > address
            {
                piece -= 1
            }
            let code = UInt16(truncatingIfNeeded: radix.entries[piece].value)
            return code == 0 ? nil : RegionCode(key: code)
        }
        guard let index = segment(containing: address) else { return nil }
        return tails[index].code
    }

    /// The largest network around `address` in which every address has the same answer
    /// (the same code, or unknown) as `address`, as (first address, prefix length).
    func network(around address: V) -> (V, Int) {
        let low: V
        let high: V
        if let index = segment(containing: address) {
            low = starts[index]
            high = tails[index].end
        } else {
            // The gap between the segments around the address.
            var next = 0
            var lower = 0
            var upper = starts.count
            while lower < upper {
                let middle = (lower + upper) >> 1
                if starts[middle] <= address { lower = middle + 1 } else { upper = middle }
            }
            next = lower
            low = next > 0 ? tails[next - 1].end + 1 : 0
            high = next < starts.count ? starts[next] - 1 : V.max
        }
        for length in 0...V.bitWidth {
            let mask = V.hostMask(prefixLength: length)
            let first = address & ~mask
            if first >= low && first | mask <= high { return (first, length) }
        }
        return (address, V.bitWidth)
    }
}

extension AddressValue {
    /// `first-last` text, for messages.
    static func rangeText(_ low: Self, _ high: Self) -> String {
        var bytes: [UInt8] = []
        low.appendAddressText(to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        high.appendAddressText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The rows covering the sweep position of ``SegmentMap``'s flattening, smallest first: a
/// binary heap ordered by size, then by input order (later first).
private struct ActiveRows<V: AddressValue> {
    private var heap: [(row: GeoRow<V>, order: Int)] = []

    var isEmpty: Bool { heap.isEmpty }
    var top: GeoRow<V>? { heap.first?.row }

    /// Whether an active row has the same code as `row`, and an active row with another code.
    /// Every active row covers the current position, so each overlaps a row starting there.
    func overlapping(_ row: GeoRow<V>) -> (sameCode: Bool, otherCode: GeoRow<V>?) {
        (heap.contains { $0.row.code == row.code }, heap.first { $0.row.code != row.code }?.row)
    }

    private static func precedes(_ a: (row: GeoRow<V>, order: Int), _ b: (row: GeoRow<V>, order: Int)) -> Bool {
        let sizeA = a.row.high - a.row.low
        let sizeB = b.row.high - b.row.low
        return sizeA != sizeB ? sizeA < sizeB : a.order > b.order
    }

    mutating func insert(_ row: GeoRow<V>, order: Int) {
        heap.append((row, order))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes rows that end before `position` from the top (rows below the top that ended
    /// are removed when they reach it).
    mutating func dropEnded(before position: V) {
        while let first = heap.first, first.row.high < position { removeTop() }
    }

    private mutating func removeTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < heap.count && Self.precedes(heap[left], heap[best]) { best = left }
            if right < heap.count && Self.precedes(heap[right], heap[best]) { best = right }
            if best == parent { return }
            heap.swapAt(parent, best)
            parent = best
        }
    }
}
