internal import Foundation

extension FirewallPlan {
    /// Element counts of one set for both kernel representations.
    public struct SetFigures: Sendable, Hashable, Codable {
        public var name: String
        public var family: String
        /// nftables interval elements (ranges).
        public var ranges: Int
        /// ipset `hash:net` entries (networks).
        public var networks: Int
    }

    /// Figures for every set, nftables names, in rendering order.
    public var setFigures: [SetFigures] {
        setRoles.flatMap { role in
            IPAddressFamily.allCases.map { family in
                SetFigures(
                    name: role.name(family), family: family.rawValue,
                    ranges: addresses(of: role, family, for: .intervals).rangeCount(family),
                    networks: addresses(of: role, family, for: .prefixes).networkCount(family))
            }
        }
    }

    /// A review text: policy, data, rules, set sizes, and which representation each backend
    /// gets and why.
    public var summary: String {
        var lines = [
            "GeoFilter plan sha256:\(digest)",
            "mode:        \(policy.mode == .blockSelected ? "block selected countries" : "allow only selected countries")\(policy.enabled ? "" : " (disabled)")",
            "countries:   \(countries.count): \(countries.map(\.alpha2).joined(separator: " "))",
            "data:        \(provenance.sourceName) \(provenance.version ?? "(undated)"), \(provenance.licence)",
            "scope:       \(policy.scope); directions: \(policy.directions.sorted().map(\.rawValue).joined(separator: ", "))",
            "trusted:     \((policy.trusted.map(\.description) + policy.trustedNames.map(\.description)).joined(separator: " "))",
            "providers:   \((policy.providers.map(\.description) + policy.providerNames.map(\.description)).joined(separator: " "))",
        ]
        lines += nameLines
        lines.append("rules:       " + rules.map(\.rawValue).joined(separator: ", "))
        for family in IPAddressFamily.allCases {
            let direct = selected.restricted(to: family)
            lines.append(
                "selected \(family == .ipv4 ? "v4" : "v6"): \(direct.rangeCount(family)) ranges, \(direct.networkCount(family)) networks")
            if policy.enabled {
                lines.append("  nftables \(family) per-country counters (the default): \(countryRangeCount(family)) map elements")
            }
            for kind in SetKind.allCases {
                let match = geoMatch(family, for: kind)
                let backend = kind == .intervals ? "nftables" : "ipset   "
                let elements = kind.elementCount(match.set, family)
                let unit = kind == .intervals ? "intervals" : "networks"
                lines.append(
                    "  \(backend) \(family): \(elements) \(unit), \(match.isComplement ? "the complement of the selected countries (smaller)" : "the selected countries"); drop when the source is \(match.polarity == .sourceIn ? "in" : "not in") the set")
            }
            if policy.enabled {
                let minimal = hashNetLayout(.geo, family)
                let reduced = hashNetLayout(.geo, family, reduction: .standard)
                lines.append("  ipset    \(family) hash:net: \(Self.layoutText(minimal)); with --ipset-reduce \(PrefixReduction.standard.maximumGrowthPercent): \(Self.layoutText(reduced))")
            }
        }
        lines += warnings.map { "warning: \($0.message)" }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `provider sip.example.net -> 192.0.2.10, 2001:db8::10`, one line per name, with the
    /// SRV targets, and the failure when the previous addresses were kept.
    private var nameLines: [String] {
        var lines: [String] = []
        for (role, names) in [("trusted", policy.trustedNames), ("provider", policy.providerNames)] {
            for name in names {
                guard let result = policy.resolvedNames[name] else {
                    lines.append("\(role) \(name) -> (not resolved)")
                    continue
                }
                var line = "\(role) \(name) -> \(result.addressText)"
                if !result.targets.isEmpty { line += " (SRV \(result.targets.joined(separator: " ")))" }
                if !result.aliases.isEmpty { line += " (CNAME \(result.aliases.joined(separator: " -> ")))" }
                switch result.status {
                case .resolved: break
                case .kept:
                    line += " (kept from \(result.resolvedAt.map(Self.timeText) ?? "earlier"): lookup failed: \(result.failure ?? "")"
                    line += ")"
                case .unresolved: line += " (lookup failed: \(result.failure ?? ""))"
                }
                lines.append(line)
            }
        }
        return lines
    }

    /// "144240 entries, 22 prefix lengths (22 probes per lookup), about 5.0 MiB".
    private static func layoutText(_ layout: HashNetLayout) -> String {
        let mebibytes = Double(layout.estimatedMemory) / 1_048_576
        return "\(layout.entries) entries, \(layout.distinctLengths) prefix lengths (hash probes per lookup), about \((mebibytes * 10).rounded() / 10) MiB"
    }

    private struct Report: Encodable {
        struct Representation: Encodable {
            var backend: String
            var family: String
            var set: String
            var polarity: String
            var complement: Bool
            var elements: Int
        }
        struct Provenance: Encodable {
            var source: String
            var version: String?
            var licence: String
            var attribution: String
        }
        struct Name: Encodable {
            var role: String
            var name: String
            var status: String
            var addresses: [String]
            var targets: [String]
            var aliases: [String]
            var resolvedAt: Int64?
            var ttl: UInt32?
            var failure: String?
        }
        struct Warning: Encodable {
            var kind: String
            var role: String
            var entry: String
            var address: String?
            var regions: [String]
            var message: String
        }
        var digest: String
        var mode: String
        var enabled: Bool
        var countries: [String]
        var labels: [String: String]
        var trusted: [String]
        var providers: [String]
        var scope: String
        var directions: [String]
        var names: [Name]
        var warnings: [Warning]
        var rules: [String]
        var sets: [SetFigures]
        var representations: [Representation]
        var data: Provenance
    }

    private var reportNames: [Report.Name] {
        [("trusted", policy.trustedNames), ("provider", policy.providerNames)].flatMap { role, names in
            names.map { name in
                let result = policy.resolvedNames[name]
                return Report.Name(
                    role: role, name: name.description, status: result?.status.rawValue ?? "not-resolved",
                    addresses: result?.addresses.map(\.description) ?? [], targets: result?.targets ?? [], aliases: result?.aliases ?? [],
                    resolvedAt: result?.resolvedAt, ttl: result?.ttl, failure: result?.failure)
            }
        }
    }

    /// The plan as a JSON object: `digest`, mode, countries, `trusted` and `providers` (the
    /// entries as written: networks, then names), `names` (what each name resolved to),
    /// `warnings`, rules, set figures, the representation per backend and family, and the
    /// data's provenance.
    public var json: String {
        var labels: [String: String] = [:]
        for country in countries { labels[country.alpha2] = policy.label(of: country) }
        let representations = IPAddressFamily.allCases.flatMap { family in
            SetKind.allCases.map { kind in
                let match = geoMatch(family, for: kind)
                return Report.Representation(
                    backend: kind == .intervals ? "nftables" : "ipset", family: family.rawValue, set: PlanSet.geo.name(family),
                    polarity: match.polarity.rawValue, complement: match.isComplement,
                    elements: kind.elementCount(match.set, family))
            }
        }
        let report = Report(
            digest: digest, mode: policy.mode.rawValue, enabled: policy.enabled, countries: countries.map(\.alpha2),
            labels: labels, trusted: policy.trusted.map(\.description) + policy.trustedNames.map(\.description),
            providers: policy.providers.map(\.description) + policy.providerNames.map(\.description),
            scope: policy.scope.description, directions: policy.directions.sorted().map(\.rawValue),
            names: reportNames, warnings: warnings.map { .init(kind: $0.kind.rawValue, role: $0.role, entry: $0.entry, address: $0.address, regions: $0.regions, message: $0.message) },
            rules: rules.map(\.rawValue), sets: setFigures, representations: representations,
            data: .init(source: provenance.sourceName, version: provenance.version, licence: provenance.licence, attribution: provenance.attribution))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, numbers and arrays cannot fail.
        return String(decoding: try! encoder.encode(report), as: UTF8.self) + "\n"
    }
}
