/// Set algebra on ``CIDRSet``, family by family.
extension CIDRSet {
    /// The addresses in either set.
    ///
    /// - Complexity: O(n + m) in the number of ranges.
    public func union(_ other: CIDRSet) -> CIDRSet {
        CIDRSet(v4: v4.union(other.v4), v6: v6.union(other.v6))
    }

    /// The addresses in both sets.
    ///
    /// - Complexity: O(n + m) in the number of ranges.
    public func intersection(_ other: CIDRSet) -> CIDRSet {
        CIDRSet(v4: v4.intersection(other.v4), v6: v6.intersection(other.v6))
    }

    /// The addresses in this set and not in `other`.
    ///
    /// - Complexity: O(n + m) in the number of ranges.
    public func subtracting(_ other: CIDRSet) -> CIDRSet {
        CIDRSet(v4: v4.subtracting(other.v4), v6: v6.subtracting(other.v6))
    }

    /// The addresses in exactly one of the two sets.
    ///
    /// - Complexity: O(n + m) in the number of ranges.
    public func symmetricDifference(_ other: CIDRSet) -> CIDRSet {
        subtracting(other).union(other.subtracting(self))
    }

    /// Every address, of both families, that is not in the set.
    ///
    /// Use ``restricted(to:)`` on the result for the complement within one family.
    /// - Complexity: O(n) in the number of ranges.
    public func complement() -> CIDRSet {
        CIDRSet(v4: v4.complement(), v6: v6.complement())
    }

    /// Whether every address of this set is also in `other`.
    public func isSubset(of other: CIDRSet) -> Bool {
        subtracting(other).isEmpty
    }
}
