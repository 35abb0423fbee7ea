/// Something the admin should know about a plan that does not stop it from being applied.
public struct PlanWarning: Sendable, Hashable, CustomStringConvertible {
    /// What kind of warning.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A trusted or provider address lies in a country the geo rule drops: it still passes
        /// (those rules come before the geo rule), which may not be what the admin expects.
        case exemptionInBlockedCountry = "exemption-in-blocked-country"
        /// A name's lookup failed; the addresses of its last good lookup are kept.
        case keptPreviousAddresses = "kept-previous-addresses"
        /// A name has no address (never resolved, or its lookup failed with nothing to keep):
        /// nothing passes for it.
        case unresolvedName = "unresolved-name"
    }

    public var kind: Kind
    /// `trusted` or `provider`.
    public var role: String
    /// The entry concerned, as written: a network or a name.
    public var entry: String
    /// The address or network of the entry concerned (for a name: one of its addresses).
    public var address: String?
    /// The regions the geo rule drops that the address lies in (`CN`).
    public var regions: [String]
    /// One sentence.
    public var message: String

    public var description: String { message }
}

extension FirewallPlan {
    /// The warnings for a policy compiled against `database`.
    static func warnings(policy: GeoPolicy, selected: CIDRSet, reserved: CIDRSet, database: GeoDatabase) -> [PlanWarning] {
        var warnings: [PlanWarning] = []
        let roles: [(role: String, networks: [IPAnyNetwork], names: [HostEntry])] = [
            ("trusted", policy.trusted, policy.trustedNames), ("provider", policy.providers, policy.providerNames),
        ]
        for (role, networks, names) in roles {
            for network in networks {
                if let warning = blockedWarning(role: role, entry: network.description, network: network, policy: policy, selected: selected, reserved: reserved, database: database) {
                    warnings.append(warning)
                }
            }
            for name in names {
                guard let result = policy.resolvedNames[name] else {
                    warnings.append(
                        PlanWarning(
                            kind: .unresolvedName, role: role, entry: name.description, address: nil, regions: [],
                            message: "\(role) \(name) was not resolved, so nothing passes for it: resolve the policy's names before compiling (GeoPolicy.resolvingNames)"))
                    continue
                }
                switch result.status {
                case .resolved: break
                case .kept:
                    let when = result.resolvedAt.map(Self.timeText) ?? "earlier"
                    warnings.append(
                        PlanWarning(
                            kind: .keptPreviousAddresses, role: role, entry: name.description, address: nil, regions: [],
                            message: "\(role) \(name) could not be resolved (\(result.failure ?? "failed")); keeping the addresses resolved at \(when): \(result.addressText)"))
                case .unresolved:
                    warnings.append(
                        PlanWarning(
                            kind: .unresolvedName, role: role, entry: name.description, address: nil, regions: [],
                            message: "\(role) \(name) could not be resolved (\(result.failure ?? "failed")) and no earlier addresses are known, so nothing passes for it"))
                }
                for network in policy.resolvedNames.networks(of: [name]) {
                    if let warning = blockedWarning(role: role, entry: name.description, network: network, policy: policy, selected: selected, reserved: reserved, database: database) {
                        warnings.append(warning)
                    }
                }
            }
        }
        return warnings
    }

    /// A warning when part of `network` is dropped by the geo rule (ignoring scope).
    private static func blockedWarning(
        role: String, entry: String, network: IPAnyNetwork, policy: GeoPolicy, selected: CIDRSet, reserved: CIDRSet, database: GeoDatabase
    ) -> PlanWarning? {
        guard policy.enabled else { return nil }
        let addresses = CIDRSet(networks: [network])
        let dropped =
            policy.mode == .blockSelected
            ? addresses.intersection(selected) : addresses.subtracting(selected).subtracting(reserved).subtracting(ReservedSpace.loopback)
        guard !dropped.isEmpty else { return nil }
        // The regions of the first few dropped ranges (a network may span several).
        var starts: [IPAddress] = dropped.ipv4Ranges.prefix(16).map { .v4($0.first) }
        starts += dropped.ipv6Ranges.prefix(16).map { .v6($0.first) }
        var regions: [String] = []
        var unknown = false
        for start in starts {
            if let region = database.lookup(start)?.region.code {
                if !regions.contains(region) { regions.append(region) }
            } else {
                unknown = true
            }
        }
        let isHost = network.prefixLength == (network.family == .ipv4 ? 32 : 128)
        let shown = isHost ? String(network.description.prefix { $0 != "/" }) : network.description
        let subject = entry == network.description ? "\(role) \(shown)" : "\(role) \(entry) (\(shown))"
        let extent = isHost || dropped == addresses ? "is" : "lies partly"
        var place: String
        if policy.mode == .blockSelected {
            place = "in \(regions.joined(separator: ", ")), \(regions.count == 1 ? "a blocked country" : "blocked countries")"
        } else {
            var parts: [String] = []
            if !regions.isEmpty { parts.append("in \(regions.joined(separator: ", ")), not in the allow list") }
            if unknown { parts.append("in space the data gives no country") }
            place = parts.joined(separator: " and ")
        }
        if place.isEmpty { place = "in space the geo rule drops" }
        return PlanWarning(
            kind: .exemptionInBlockedCountry, role: role, entry: entry, address: shown, regions: regions,
            message: "\(subject) \(extent) \(place): it passes anyway, because the \(role) rule comes before the geo rule")
    }

    /// `2026-11-28 01:00:00 UTC`.
    static func timeText(_ seconds: Int64) -> String {
        let day = seconds >= 0 ? seconds % 86_400 : (seconds % 86_400 + 86_400) % 86_400
        func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(CivilDate.isoDate(seconds)) \(pad(day / 3600)):\(pad(day / 60 % 60)):\(pad(day % 60)) UTC"
    }
}
