/// The compiled, deterministic result of a ``GeoPolicy`` and a ``GeoDatabase``: the exact sets
/// per family, the ordered rules, a content digest, and renderings for review.
///
/// Rules, in this order (the seeds' order, never weakened):
/// 1. established and related connections: accept
/// 2. trusted networks: accept
/// 3. provider networks: accept
/// 4. the loopback interface and, in allow-only mode, private and reserved space: accept
/// 5. the geo rule: drop (block mode: source in the selected countries; allow-only mode:
///    source not in them), on the scoped traffic only
///
/// "Accept" means this filter lets the packet go on: the nftables rendering uses `accept` in
/// its own table's chain, the iptables rendering `RETURN` from its own chain, so the host's
/// other rules still apply.
public struct FirewallPlan: Sendable {
    /// The policy compiled.
    public let policy: GeoPolicy
    /// Where the country data came from.
    public let provenance: DataProvenance
    /// The selected countries (continents expanded, exceptions removed), by code.
    public let countries: [Country]
    /// Addresses that always pass: the trusted networks and the addresses of the trusted names.
    public let trusted: CIDRSet
    /// Addresses that always pass: the provider networks and the addresses of the provider names.
    public let providers: CIDRSet
    /// Private and reserved space accepted before the geo rule (allow-only mode; empty otherwise).
    public let reserved: CIDRSet
    /// The addresses of the selected countries: blocked in block mode, allowed in allow-only mode.
    public let selected: CIDRSet
    /// The ordered rules, as applied on each direction.
    public let rules: [PlanRule]
    /// The SHA-256 of the canonical plan, lower-case hex: the same on every machine for the same
    /// policy and data, whatever the input order.
    public let digest: String
    /// What the admin should know about the policy: a trusted or provider address in a blocked
    /// country (it still passes: those rules come first), a name whose lookup failed (its
    /// previous addresses are kept) or that has no address.
    public let warnings: [PlanWarning]
    /// The database, for the countries named in explanations.
    let database: GeoDatabase
    /// ``geoMatch(_:for:)`` for each family and kind, in ``matchIndex(_:_:)`` order.
    private let geoMatches: [GeoMatch]

    /// Compiles a policy against country data.
    ///
    /// - Parameters:
    ///   - policy: what the admin chose.
    ///   - database: the country data.
    ///   - allowBroadExemptions: accept trusted and provider networks that cover half or more
    ///     of an address family (see ``GeoPolicy/validate(allowBroadExemptions:)``).
    /// - Throws: ``GeoFilterError`` when the policy is not valid.
    /// - Complexity: O(n) in the number of segments of the data, plus the size of the sets.
    public init(policy: GeoPolicy, database: GeoDatabase, allowBroadExemptions: Bool = false) throws(GeoFilterError) {
        try policy.validate(allowBroadExemptions: allowBroadExemptions)
        self.policy = policy
        self.database = database
        provenance = database.provenance
        countries = policy.countries.sorted()
        trusted = CIDRSet(networks: policy.resolvedTrusted)
        providers = CIDRSet(networks: policy.resolvedProviders)
        reserved = policy.mode == .allowOnlySelected ? ReservedSpace.addresses : CIDRSet()
        selected = database.addresses(of: countries)
        geoMatches = Self.geoMatches(selected: selected, mode: policy.mode)
        var rules: [PlanRule] = [.acceptEstablished, .acceptTrusted, .acceptProviders, .acceptLoopback]
        if policy.mode == .allowOnlySelected { rules.append(.acceptReserved) }
        if policy.enabled { rules.append(.dropGeo) }
        self.rules = rules
        warnings = Self.warnings(policy: policy, selected: selected, reserved: reserved, database: database)
        digest = Self.digest(policy: policy, countries: countries, trusted: trusted, providers: providers, selected: selected)
    }

    /// The ranges the geo rule drops, each with its region (country, pseudo-region or other
    /// code), for per-country counters: in block mode the selected countries' ranges, in
    /// allow-only mode every other region's ranges (addresses with no region are not listed).
    func counterEntries(_ family: IPAddressFamily) -> RegionSegments {
        let selectedCodes = Set(countries.map { RegionCode($0) })
        let block = policy.mode == .blockSelected
        return database.regionSegments(family) { selectedCodes.contains($0) == block }
    }

    /// The regions with a per-country counter: those of ``counterEntries(_:)``, by code.
    var countedRegions: [RegionCode] {
        let selectedCodes = Set(countries.map { RegionCode($0) })
        let block = policy.mode == .blockSelected
        return database.regions.filter { selectedCodes.contains($0) == block }
    }

    /// The number of ranges the geo rule drops with each region's ranges kept apart: the
    /// elements of the nftables per-country verdict map.
    public func countryRangeCount(_ family: IPAddressFamily) -> Int {
        counterEntries(family).regions.count
    }

    /// The geo rule's match for one family and kernel representation: drop when the source is
    /// (or is not) in `set`.
    public struct GeoMatch: Sendable, Hashable {
        /// Whether a source in the set is dropped, or a source not in it.
        public enum Polarity: String, Sendable, Hashable {
            case sourceIn = "in"
            case sourceNotIn = "not-in"
        }

        public var polarity: Polarity
        /// The addresses matched (one family).
        public var set: CIDRSet
        /// Whether this is the complement of the selected countries (chosen because it is
        /// smaller for the backend).
        public var isComplement: Bool
    }

    /// How a kernel set counts elements.
    public enum SetKind: String, Sendable, Hashable, CaseIterable {
        /// nftables interval sets: one element per range.
        case intervals
        /// ipset `hash:net`: one entry per network (prefix).
        case prefixes

        /// The number of elements `set` needs for `family`.
        public func elementCount(_ set: CIDRSet, _ family: IPAddressFamily) -> Int {
            switch self {
            case .intervals: set.rangeCount(family)
            case .prefixes: set.networkCount(family)
            }
        }
    }

    /// The geo rule's match for a family: of the selected countries' set and its complement,
    /// the one with fewer elements for `kind`, with the polarity that keeps the meaning.
    ///
    /// Block mode drops sources in the selected set (or not in its complement); allow-only
    /// mode drops sources not in the selected set (or in its complement).
    public func geoMatch(_ family: IPAddressFamily, for kind: SetKind) -> GeoMatch {
        geoMatches[Self.matchIndex(family, kind)]
    }

    private static func matchIndex(_ family: IPAddressFamily, _ kind: SetKind) -> Int {
        (family == .ipv4 ? 0 : 2) + (kind == .intervals ? 0 : 1)
    }

    /// The four matches (two families, two kinds), chosen once when the plan is compiled.
    private static func geoMatches(selected: CIDRSet, mode: GeoPolicy.Mode) -> [GeoMatch] {
        var matches: [GeoMatch] = []
        for family in IPAddressFamily.allCases {
            let direct = selected.restricted(to: family)
            let complement = direct.complement().restricted(to: family)
            for kind in [SetKind.intervals, .prefixes] {
                let useComplement = kind.elementCount(complement, family) < kind.elementCount(direct, family)
                matches.append(
                    GeoMatch(
                        polarity: (mode == .blockSelected) != useComplement ? .sourceIn : .sourceNotIn,
                        set: useComplement ? complement : direct, isComplement: useComplement))
            }
        }
        return matches
    }
}

extension CIDRSet {
    /// The set of networks of either family.
    public init(networks: [IPAnyNetwork]) {
        var builder = Builder()
        for network in networks {
            switch network {
            case .v4(let n): builder.insert(n)
            case .v6(let n): builder.insert(n)
            }
        }
        self = builder.build()
    }
}
