/// The names GeoFilter gives its kernel objects, so two hosts (or tests) can keep theirs apart.
public struct KernelNames: Sendable, Hashable, Codable {
    /// The nftables table (family `inet`).
    public var table: String
    /// The prefix of ipset set names (a set name is at most 31 characters).
    public var setPrefix: String
    /// The iptables/ip6tables chain jumped to from INPUT (and FORWARD).
    public var chain: String

    /// `inet geofilter`, `geofilter-…` sets, chain `GEOFILTER`.
    public static let standard = KernelNames(table: "geofilter", setPrefix: "geofilter-", chain: "GEOFILTER")

    public init(table: String, setPrefix: String, chain: String) {
        self.table = table
        self.setPrefix = setPrefix
        self.chain = chain
    }
}

/// The sets of a plan, by role.
public enum PlanSet: String, Sendable, Hashable, CaseIterable {
    case trusted
    case provider
    case reserved
    case geo

    /// The set's base name for a family: `geo4`, `trusted6`.
    public func name(_ family: IPAddressFamily) -> String {
        rawValue + (family == .ipv4 ? "4" : "6")
    }
}

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
