extension FirewallPlan {
    /// The plan as an `nft -f` script: one transaction that replaces the plan's table (created
    /// empty first, so the delete never fails) with its sets and chains.
    ///
    /// Sets are interval sets holding the merged ranges; the digest is the table's comment.
    public func nftScript(names: KernelNames = .standard) -> String {
        var out = "#!/usr/sbin/nft -f\n"
        out += "# GeoFilter plan sha256:\(digest)\n"
        out += "# \(policySummaryLine)\n"
        out += "table inet \(names.table)\ndelete table inet \(names.table)\n"
        out += "table inet \(names.table) {\n"
        out += "\tcomment \"geofilter sha256:\(digest)\"\n"
        for role in setRoles {
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
                    set.appendElements(family, style: .nftInterval, before: Array("\t\t\t".utf8), after: Array(",\n".utf8), to: &bytes)
                    bytes += Array("\t\t}\n".utf8)
                    out += String(decoding: bytes, as: UTF8.self)
                }
                out += "\t}\n"
            }
        }
        for direction in policy.directions.sorted() {
            out += "\tchain \(direction.rawValue) {\n"
            out += "\t\ttype filter hook \(direction.rawValue) priority filter; policy accept;\n"
            for rule in rules { out += nftRuleLines(rule).map { "\t\t\($0)\n" }.joined() }
            out += "\t}\n"
        }
        out += "}\n"
        return out
    }

    private func nftRuleLines(_ rule: PlanRule) -> [String] {
        func bySource(_ role: PlanSet) -> [String] {
            ["ip saddr @\(role.name(.ipv4)) accept", "ip6 saddr @\(role.name(.ipv6)) accept"]
        }
        switch rule {
        case .acceptEstablished: return ["ct state established,related accept"]
        case .acceptTrusted: return bySource(.trusted)
        case .acceptProviders: return bySource(.provider)
        case .acceptLoopback: return ["iifname \"lo\" accept"]
        case .acceptReserved: return bySource(.reserved)
        case .dropGeo:
            var lines: [String] = []
            for family in IPAddressFamily.allCases {
                let match = geoMatch(family, for: .intervals)
                let source = "\(family == .ipv4 ? "ip" : "ip6") saddr \(match.polarity == .sourceIn ? "" : "!= ")@\(PlanSet.geo.name(family))"
                if policy.scope.isAllTraffic {
                    lines.append("\(source) counter drop")
                } else {
                    for portRule in policy.scope.rules {
                        let ports = portRule.ports.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
                        lines.append("\(portRule.transport) dport { \(ports.joined(separator: ", ")) } \(source) counter drop")
                    }
                }
            }
            return lines
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
