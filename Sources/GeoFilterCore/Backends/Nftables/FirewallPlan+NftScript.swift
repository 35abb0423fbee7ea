extension FirewallPlan {
    /// The plan as an `nft -f` script: one transaction that replaces the plan's table (created
    /// empty first, so the delete never fails) with its sets and chains.
    ///
    /// Sets are interval sets holding the merged ranges; the digest is in the table's comment.
    /// With `countryCounters` (as the nftables backend does by default), dropped sources are
    /// looked up in a verdict map that jumps to one counter chain per region (see
    /// ``NftablesBackend/countryCounters``).
    public func nftScript(names: KernelNames = .standard, countryCounters: Bool = true) -> String {
        let countryMap = countryCounters && policy.enabled
        var out = "#!/usr/sbin/nft -f\n"
        out += "# GeoFilter plan sha256:\(digest)\n"
        out += "# \(policySummaryLine)\n"
        out += "table inet \(names.table)\ndelete table inet \(names.table)\n"
        out += "table inet \(names.table) {\n"
        out += "\tcomment \"geofilter sha256:\(digest)\"\n"
        if countryMap {
            for region in countedRegions {
                out += "\tchain \(KernelNames.countryChain(region)) {\n\t\tcounter drop comment \"\(region.code)\"\n\t}\n"
            }
            for family in IPAddressFamily.allCases {
                let segments = counterBounds(family)
                out += "\tmap countries\(family == .ipv4 ? "4" : "6") {\n"
                out += "\t\ttype \(family == .ipv4 ? "ipv4_addr" : "ipv6_addr") : verdict\n\t\tflags interval\n"
                if !segments.regions.isEmpty {
                    var bytes = Array("\t\telements = {\n".utf8)
                    let width = family == .ipv4 ? 4 : 16
                    for (index, region) in segments.regions.enumerated() {
                        bytes += Array("\t\t\t".utf8)
                        Self.appendBigEndianAddress(segments.bounds, at: 2 * index * width, width: width, to: &bytes)
                        bytes.append(UInt8(ascii: "-"))
                        Self.appendBigEndianAddress(segments.bounds, at: (2 * index + 1) * width, width: width, to: &bytes)
                        bytes += Array(" : jump \(KernelNames.countryChain(region)),\n".utf8)
                    }
                    bytes += Array("\t\t}\n".utf8)
                    out += String(decoding: bytes, as: UTF8.self)
                }
                out += "\t}\n"
            }
        }
        for role in setRoles where !(countryMap && policy.mode == .blockSelected && role == .geo) {
            for family in IPAddressFamily.allCases {
                let set = addresses(of: role, family, for: .intervals)
                out += "\tset \(role.name(family)) {\n"
                out += "\t\ttype \(family == .ipv4 ? "ipv4_addr" : "ipv6_addr")\n\t\tflags interval\n"
                if role == .geo {
                    let match = geoMatch(family, for: .intervals)
                    out += "\t\tcomment \"\(match.isComplement ? "complement of the selected countries" : "selected countries")\"\n"
                }
                if !set.isEmpty {
                    var bytes = Array("\t\telements = {\n".utf8)
                    set.appendIntervalElements(family, before: Array("\t\t\t".utf8), after: Array(",\n".utf8), to: &bytes)
                    bytes += Array("\t\t}\n".utf8)
                    out += String(decoding: bytes, as: UTF8.self)
                }
                out += "\t}\n"
            }
        }
        for direction in policy.directions.sorted() {
            out += "\tchain \(direction.rawValue) {\n"
            out += "\t\ttype filter hook \(direction.rawValue) priority filter; policy accept;\n"
            for rule in rules { out += nftRuleLines(rule, countryMap: countryMap).map { "\t\t\($0)\n" }.joined() }
            out += "\t}\n"
        }
        out += "}\n"
        return out
    }

    private func nftRuleLines(_ rule: PlanRule, countryMap: Bool) -> [String] {
        func bySource(_ role: PlanSet) -> [String] {
            ["ip saddr @\(role.name(.ipv4)) accept", "ip6 saddr @\(role.name(.ipv6)) accept"]
        }
        switch rule {
        case .acceptEstablished: return ["ct state established,related accept"]
        case .acceptTrusted: return bySource(.trusted)
        case .acceptProviders: return bySource(.provider)
        case .acceptLoopback: return ["iifname \"lo\" accept"]
        case .acceptReserved: return bySource(.reserved)
        case .dropGeo where countryMap && policy.mode == .blockSelected:
            var lines: [String] = []
            for family in IPAddressFamily.allCases {
                let source = "\(family == .ipv4 ? "ip" : "ip6") saddr vmap @countries\(family == .ipv4 ? "4" : "6")"
                if policy.scope.isAllTraffic { lines.append(source) }
                for portRule in policy.scope.rules {
                    let ports = portRule.ports.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
                    lines.append("\(portRule.transport) dport { \(ports.joined(separator: ", ")) } \(source)")
                }
            }
            return lines
        case .dropGeo:
            var lines: [String] = []
            for family in IPAddressFamily.allCases {
                let match = geoMatch(family, for: .intervals)
                let source = "\(family == .ipv4 ? "ip" : "ip6") saddr \(match.polarity == .sourceIn ? "" : "!= ")@\(PlanSet.geo.name(family))"
                // Allow-only with per-region counters: the region's chain counts and drops; a
                // source of no region falls through to the family's counted drop.
                let byRegion = countryMap ? "\(source) \(family == .ipv4 ? "ip" : "ip6") saddr vmap @countries\(family == .ipv4 ? "4" : "6")" : nil
                if policy.scope.isAllTraffic {
                    if let byRegion { lines.append(byRegion) }
                    lines.append("\(source) counter drop")
                } else {
                    for portRule in policy.scope.rules {
                        let ports = portRule.ports.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
                        let match = "\(portRule.transport) dport { \(ports.joined(separator: ", ")) }"
                        if let byRegion { lines.append("\(match) \(byRegion)") }
                        lines.append("\(match) \(source) counter drop")
                    }
                }
            }
            return lines
        }
    }

    /// Appends the address text of `width` big-endian bytes of `bytes` at `offset`.
    private static func appendBigEndianAddress(_ bytes: [UInt8], at offset: Int, width: Int, to output: inout [UInt8]) {
        if width == 4 {
            let value = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            value.appendAddressText(to: &output)
        } else {
            let value = bytes[offset..<offset + 16].reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
            value.appendAddressText(to: &output)
        }
    }

    /// One line: mode, countries, data.
    var policySummaryLine: String {
        let list = countries.count > 12
            ? countries.prefix(12).map(\.alpha2).joined(separator: " ") + " … (\(countries.count))"
            : countries.map(\.alpha2).joined(separator: " ")
        return "\(policy.mode == .blockSelected ? "block" : "allow only") \(list); data \(provenance.sourceName) \(provenance.version ?? "")"
    }
}
