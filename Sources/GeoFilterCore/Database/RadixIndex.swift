/// A multi-level radix index over sorted 64-bit keys, each with a 64-bit value, that finds the
/// last key at or below a probe with a short chain of memory reads. It serves IPv6 lookups,
/// where the data is dense in a few small parts of the space.
///
/// The root table has one slot per value of the top 16 bits; a slot whose keys are few
/// (at most ``leafSize``) records where they are, and a slot with more keys points to a child
/// table over the next 8 bits, and so on. The last few keys are searched without branches, and
/// each value sits beside its key, so the answer is in a cache line the search already read.
/// Tor's IPv6 data (277k ranges, some /28s holding 60k of them) needs about 1,700 tables.
struct RadixIndex: Sendable {
    /// One key and its value.
    struct Entry: Sendable {
        var key: UInt64
        var value: UInt64
    }

    /// The most keys a slot holds before it gets a child table.
    static let leafSize = 32

    let entries: [Entry]
    /// Per table (root: 65,536 slots, children: 256), one slot per prefix value plus a sentinel.
    private var slots: [Slot] = []

    /// A slot: the number of keys below its first value, and the first slot of its child table
    /// (-1 for a leaf), side by side so a step reads one cache line.
    private struct Slot {
        var below: Int32
        var child: Int32
    }

    /// Indexes `entries`, which must be sorted by key (repeats allowed).
    init(entries: [Entry]) {
        self.entries = entries
        // A few keys are searched directly: the 65,536-slot root would cost more than it saves.
        if entries.count > Self.leafSize { build(prefix: 0, bits: 16, shift: 48, lower: 0, upper: entries.count) }
    }

    /// Appends the table of `entries[lower..<upper]`, whose keys share `prefix` above `shift + bits`.
    private mutating func build(prefix: UInt64, bits: Int, shift: Int, lower: Int, upper: Int) {
        let base = slots.count
        let count = 1 << bits
        slots.append(contentsOf: [Slot](repeating: Slot(below: 0, child: -1), count: count + 1))
        // slots[base + s].below is the first entry whose key falls in slot s or later: fill the
        // slots up to each entry's slot with its index, in runs, so the cost follows the
        // entries, not the 65,536 slots of the root.
        slots.withUnsafeMutableBufferPointer { table in
            var next = 0  // the first slot not yet filled
            for position in lower..<upper {
                let slot = Int(truncatingIfNeeded: (entries[position].key >> shift) & UInt64(count - 1))
                if slot >= next {
                    UnsafeMutableBufferPointer(rebasing: table[(base + next)...(base + slot)])
                        .update(repeating: Slot(below: Int32(position), child: -1))
                    next = slot + 1
                }
            }
            UnsafeMutableBufferPointer(rebasing: table[(base + next)...(base + count)])
                .update(repeating: Slot(below: Int32(upper), child: -1))
        }
        guard shift > 0 else { return }
        // Only slots that hold entries can need a child table: visit those, entry run by run.
        var position = lower
        while position < upper {
            let slot = Int(truncatingIfNeeded: (entries[position].key >> shift) & UInt64(count - 1))
            let first = Int(slots[base + slot].below)
            let last = Int(slots[base + slot + 1].below)
            if last - first > Self.leafSize {
                slots[base + slot].child = Int32(slots.count)
                build(prefix: prefix << bits | UInt64(slot), bits: 8, shift: shift - 8, lower: first, upper: last)
            }
            position = last
        }
    }

    /// The number of keys at or below `key`.
    ///
    /// - Complexity: one table entry per 8 bits of prefix the data is dense in, then a
    ///   branch-free binary search of at most ``leafSize`` keys.
    @inline(__always)
    func count(atOrBelow key: UInt64) -> Int {
        var lower = 0
        var length = entries.count
        if !slots.isEmpty {
            var slot = Int(key >> 48)
            var shift: UInt64 = 48
            while slots[slot].child >= 0 {
                shift -= 8
                slot = Int(slots[slot].child) + Int(key >> shift & 0xFF)
            }
            lower = Int(slots[slot].below)
            length = Int(slots[slot + 1].below) - lower
        }
        while length > 1 {
            let half = length >> 1
            lower = entries[lower + half].key <= key ? lower + half : lower
            length -= half
        }
        if length == 1 && entries[lower].key <= key { lower += 1 }
        return lower
    }
}
