extension FirewallPlan {
    /// The plan's sets as `ipset restore` input: `hash:net` sets per family, sized from the
    /// plan (``ipsetSizing(_:)``), each filled with the minimal networks.
    ///
    /// `hash:net` cannot hold a /0, so a whole-space set is written as its two halves.
    public func ipsetScript(names: KernelNames = .standard) -> String {
        var out = "# GeoFilter plan sha256:\(digest)\n# \(policySummaryLine)\n"
        for role in setRoles {
            for family in IPAddressFamily.allCases {
                let set = addresses(of: role, family, for: .prefixes)
                let name = names.setPrefix + role.name(family)
                let sizing = Self.ipsetSizing(set.networkCount(family) + 1)  // + 1: a /0 takes two
                out += "create \(name) hash:net family \(family == .ipv4 ? "inet" : "inet6") hashsize \(sizing.hashSize) maxelem \(sizing.maxElements)\n"
                var entries: [UInt8] = []
                set.appendElements(family, style: .ipsetNetwork, before: Array("add \(name) ".utf8), after: [UInt8(ascii: "\n")], to: &entries)
                out += String(decoding: entries, as: UTF8.self)
            }
        }
        return out
    }

    /// `hashsize` (a power of two near the element count, at least 64) and `maxelem`
    /// (the count plus a quarter of headroom, at least 65,536, ipset's default).
    public static func ipsetSizing(_ count: Int) -> (hashSize: Int, maxElements: Int) {
        var hashSize = 64
        while hashSize < count && hashSize < 1 << 22 { hashSize <<= 1 }
        return (hashSize, max(65_536, count + count / 4))
    }


    /// The rules as `iptables-restore --noflush` (IPv4) or `ip6tables-restore --noflush` (IPv6)
    /// input: the plan's chain with the rules in order, jumped to first from INPUT (and FORWARD).
    /// "Accept" rules `RETURN`, so the host's own rules still apply to what the plan lets pass.
    public func iptablesScript(_ family: IPAddressFamily, names: KernelNames = .standard) -> String {
        let chain = names.chain
        var out = "# GeoFilter plan sha256:\(digest)\n*filter\n:\(chain) - [0:0]\n"
        func set(_ role: PlanSet) -> String { names.setPrefix + role.name(family) }
        for rule in rules {
            switch rule {
            case .acceptEstablished: out += "-A \(chain) -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN\n"
            case .acceptTrusted: out += "-A \(chain) -m set --match-set \(set(.trusted)) src -j RETURN\n"
            case .acceptProviders: out += "-A \(chain) -m set --match-set \(set(.provider)) src -j RETURN\n"
            case .acceptLoopback: out += "-A \(chain) -i lo -j RETURN\n"
            case .acceptReserved: out += "-A \(chain) -m set --match-set \(set(.reserved)) src -j RETURN\n"
            case .dropGeo:
                let match = geoMatch(family, for: .prefixes)
                let source = "-m set \(match.polarity == .sourceIn ? "" : "! ")--match-set \(set(.geo)) src"
                let comment = "-m comment --comment \"geofilter \(policy.mode == .blockSelected ? "block" : "allow-only")\""
                if policy.scope.isAllTraffic {
                    out += "-A \(chain) \(source) \(comment) -j DROP\n"
                }
                for portRule in policy.scope.rules {
                    // multiport takes at most 15 ports, a range counting as two.
                    var chunk: [String] = []
                    var weight = 0
                    func flush() {
                        guard !chunk.isEmpty else { return }
                        out += "-A \(chain) -p \(portRule.transport) -m multiport --dports \(chunk.joined(separator: ",")) \(source) \(comment) -j DROP\n"
                        chunk = []
                        weight = 0
                    }
                    for range in portRule.ports {
                        let cost = range.count == 1 ? 1 : 2
                        if weight + cost > 15 { flush() }
                        chunk.append(range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound):\(range.upperBound)")
                        weight += cost
                    }
                    flush()
                }
            }
        }
        for direction in policy.directions.sorted() {
            out += "-I \(direction == .input ? "INPUT" : "FORWARD") 1 -j \(chain)\n"
        }
        out += "COMMIT\n"
        return out
    }
}
