extension FirewallPlan {
    /// The roles the plan uses: reserved only in allow-only mode, geo only when enabled.
    public var setRoles: [PlanSet] {
        PlanSet.allCases.filter { role in
            switch role {
            case .reserved: policy.mode == .allowOnlySelected
            case .geo: policy.enabled
            default: true
            }
        }
    }

    /// The addresses of a set role for one family (for the geo role: the representation chosen
    /// for `kind`).
    public func addresses(of role: PlanSet, _ family: IPAddressFamily, for kind: SetKind) -> CIDRSet {
        switch role {
        case .trusted: trusted.restricted(to: family)
        case .provider: providers.restricted(to: family)
        case .reserved: reserved.restricted(to: family)
        case .geo: geoMatch(family, for: kind).set
        }
    }
}
