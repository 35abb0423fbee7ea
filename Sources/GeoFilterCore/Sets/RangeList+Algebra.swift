/// Set algebra on canonical range lists: each operation is one linear merge of two sorted lists.
extension RangeList {
    /// All integers in either list.
    ///
    /// - Complexity: O(n + m).
    func union(_ other: RangeList) -> RangeList {
        var result = RangeList()
        result.lows.reserveCapacity(count + other.count)
        result.highs.reserveCapacity(count + other.count)
        var i = 0
        var j = 0
        while i < count || j < other.count {
            if j == other.count || (i < count && lows[i] <= other.lows[j]) {
                result.appendMerging(lows[i], highs[i])
                i += 1
            } else {
                result.appendMerging(other.lows[j], other.highs[j])
                j += 1
            }
        }
        result.invariantCheck()
        return result
    }

    /// The integers in both lists.
    ///
    /// - Complexity: O(n + m).
    func intersection(_ other: RangeList) -> RangeList {
        var result = RangeList()
        var i = 0
        var j = 0
        while i < count && j < other.count {
            let low = Swift.max(lows[i], other.lows[j])
            let high = Swift.min(highs[i], other.highs[j])
            if low <= high {
                result.lows.append(low)
                result.highs.append(high)
            }
            if highs[i] < other.highs[j] { i += 1 } else { j += 1 }
        }
        result.invariantCheck()
        return result
    }

    /// The integers not in the list, within the whole address space.
    ///
    /// - Complexity: O(n).
    func complement() -> RangeList {
        var result = RangeList()
        var next: V? = 0  // the first integer not yet covered; nil past the end of the space
        for index in lows.indices {
            if let start = next, start < lows[index] {
                result.lows.append(start)
                result.highs.append(lows[index] - 1)
            }
            next = highs[index] == V.max ? nil : highs[index] + 1
        }
        if let start = next {
            result.lows.append(start)
            result.highs.append(V.max)
        }
        result.invariantCheck()
        return result
    }

    /// The integers in this list and not in `other`.
    ///
    /// - Complexity: O(n + m).
    func subtracting(_ other: RangeList) -> RangeList {
        var result = RangeList()
        var j = 0
        for index in lows.indices {
            var low = lows[index]
            let high = highs[index]
            var exhausted = false
            // Skip subtrahend ranges that end before this range starts.
            while j < other.count && other.highs[j] < low { j += 1 }
            var k = j
            while k < other.count && other.lows[k] <= high {
                if other.lows[k] > low {
                    result.lows.append(low)
                    result.highs.append(other.lows[k] - 1)
                }
                if other.highs[k] >= high {
                    exhausted = true
                    break
                }
                low = other.highs[k] + 1
                k += 1
            }
            if !exhausted {
                result.lows.append(low)
                result.highs.append(high)
            }
        }
        result.invariantCheck()
        return result
    }
}
