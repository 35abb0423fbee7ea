extension FirewallPlan {
    /// How a set of the plan becomes `hash:net` entries for the ipset backend: the minimal
    /// cover, or with fewer distinct prefix lengths when `reduction` is given.
    public func hashNetLayout(_ role: PlanSet, _ family: IPAddressFamily, reduction: PrefixReduction? = nil) -> HashNetLayout {
        let histogram = addresses(of: role, family, for: .prefixes).prefixHistogram(family)
        guard let reduction else { return HashNetLayout(minimal: histogram, family: family) }
        return HashNetLayout(reducing: histogram, family: family, reduction: reduction)
    }
}
