extension FirewallPlan {
    /// The plan's sets as `ipset restore` input: `hash:net` sets per family, sized from the
    /// plan (``ipsetSizing(_:)``), each filled with the minimal networks, or with fewer
    /// distinct prefix lengths when `reduction` is given.
    ///
    /// `hash:net` cannot hold a /0, so a whole-space set is written as its two halves.
    public func ipsetScript(names: KernelNames = .standard, reduction: PrefixReduction? = nil) -> String {
        var out = "# GeoFilter plan sha256:\(digest)\n# \(policySummaryLine)\n"
        for role in setRoles {
            for family in IPAddressFamily.allCases {
                let name = names.setPrefix + role.name(family)
                let entries = hashNetEntries(role, family, reduction: reduction)
                let sizing = Self.ipsetSizing(entries.count)
                out += "create \(name) hash:net family \(family == .ipv4 ? "inet" : "inet6") hashsize \(sizing.hashSize) maxelem \(sizing.maxElements)\n"
                var bytes: [UInt8] = []
                entries.appendText(before: Array("add \(name) ".utf8), after: [UInt8(ascii: "\n")], to: &bytes)
                out += String(decoding: bytes, as: UTF8.self)
            }
        }
        return out
    }

    /// `hashsize` (a power of two near the element count, at least 64) and `maxelem`
    /// (the count plus a quarter of headroom, at least 65,536, ipset's default).
    static func ipsetSizing(_ count: Int) -> (hashSize: Int, maxElements: Int) {
        var hashSize = 64
        while hashSize < count && hashSize < 1 << 22 { hashSize <<= 1 }
        return (hashSize, max(65_536, count + count / 4))
    }

    /// The rules of the plan's iptables chain for one family, in order, as `-A CHAIN ...`
    /// lines. "Accept" rules `RETURN`, so the host's own rules still apply to what passes.
    /// With `dropRules` false, only the accept rules (a chain that drops nothing).
    public func iptablesRules(_ family: IPAddressFamily, names: KernelNames = .standard, dropRules: Bool = true) -> [String] {
        iptablesRules(family, chain: names.chain, setName: { names.setPrefix + $0.name(family) }, dropRules: dropRules)
    }

    /// The rules for a chain named `chain` whose rules reference the sets `setName` names (the
    /// ipset backend's generation names, `geofilter-geo4-k3x9q2`).
    func iptablesRules(_ family: IPAddressFamily, chain: String, setName: (PlanSet) -> String, dropRules: Bool = true) -> [String] {
        var out: [String] = []
        func set(_ role: PlanSet) -> String { setName(role) }
        for rule in rules {
            switch rule {
            case .acceptEstablished: out.append("-A \(chain) -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN")
            case .acceptTrusted: out.append("-A \(chain) -m set --match-set \(set(.trusted)) src -j RETURN")
            case .acceptProviders: out.append("-A \(chain) -m set --match-set \(set(.provider)) src -j RETURN")
            case .acceptLoopback: out.append("-A \(chain) -i lo -j RETURN")
            case .acceptReserved: out.append("-A \(chain) -m set --match-set \(set(.reserved)) src -j RETURN")
            case .dropGeo where dropRules:
                let match = geoMatch(family, for: .prefixes)
                let source = "-m set \(match.polarity == .sourceIn ? "" : "! ")--match-set \(set(.geo)) src"
                let mode = policy.mode == .blockSelected ? "block" : "allow-only"
                if policy.scope.isAllTraffic {
                    out.append("-A \(chain) \(source) -m comment --comment \"geofilter \(mode) \(PlanSet.geo.name(family))\" -j DROP")
                }
                for portRule in policy.scope.rules {
                    for ports in Self.multiportChunks(portRule.ports) {
                        let comment = "geofilter \(mode) \(PlanSet.geo.name(family)) \(portRule.transport) \(ports)"
                        out.append("-A \(chain) -p \(portRule.transport) -m multiport --dports \(ports) \(source) -m comment --comment \"\(comment)\" -j DROP")
                    }
                }
            case .dropGeo:
                break
            }
        }
        return out
    }

    /// Port lists for `-m multiport --dports`, which takes at most 15 ports (a range counts as two).
    static func multiportChunks(_ ports: [ClosedRange<UInt16>]) -> [String] {
        var chunks: [String] = []
        var chunk: [String] = []
        var weight = 0
        for range in ports {
            let cost = range.count == 1 ? 1 : 2
            if weight + cost > 15 {
                chunks.append(chunk.joined(separator: ","))
                chunk = []
                weight = 0
            }
            chunk.append(range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound):\(range.upperBound)")
            weight += cost
        }
        if !chunk.isEmpty { chunks.append(chunk.joined(separator: ",")) }
        return chunks
    }

    /// The rules as `iptables-restore --noflush` (IPv4) or `ip6tables-restore --noflush` (IPv6)
    /// input: the plan's chain (declaring it flushes it) with the rules in order, jumped to
    /// first from INPUT (and FORWARD) unless `existingJumps` already has that jump; a jump in
    /// `existingJumps` from a direction the plan no longer filters is deleted.
    public func iptablesScript(
        _ family: IPAddressFamily, names: KernelNames = .standard, existingJumps: Set<String> = [], dropRules: Bool = true
    ) -> String {
        var out = "# GeoFilter plan sha256:\(digest)\n*filter\n:\(names.chain) - [0:0]\n"
        for line in iptablesRules(family, names: names, dropRules: dropRules) { out += line + "\n" }
        let hooks = Set(policy.directions.map { $0 == .input ? "INPUT" : "FORWARD" })
        for hook in existingJumps.subtracting(hooks).sorted() { out += "-D \(hook) -j \(names.chain)\n" }
        for hook in hooks.subtracting(existingJumps).sorted() { out += "-I \(hook) 1 -j \(names.chain)\n" }
        out += "COMMIT\n"
        return out
    }
}
