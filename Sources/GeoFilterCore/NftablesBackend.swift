/// Enforces plans with nf_tables through libnftnl/libmnl (no `nft` process): one table of our
/// own (default `inet geofilter`) with interval sets and base chains, replaced in ONE netlink
/// batch transaction, so the kernel holds either the previous plan or the new one.
///
/// The plan's digest, mode and countries are the table's comment and each set's element count
/// its set's comment, so ``status()`` can say what is enforced after the host process restarts.
public struct NftablesBackend: FirewallBackend {
    /// The table name and the other kernel names.
    public var names: KernelNames
    /// The base chains' priority (0: `filter`).
    public var priority: Int32
    /// The network namespace to work in.
    public var namespace: NetworkNamespace
    /// For tests: add an element that overlaps the geo set partway through the batch, which
    /// the kernel must reject, failing the whole transaction.
    var injectOverlapFault = false

    public init(names: KernelNames = .standard, priority: Int32 = 0, namespace: NetworkNamespace = .current) {
        self.names = names
        self.priority = priority
        self.namespace = namespace
    }

    public func probe() -> BackendProbe {
        do {
            let socket = try NftSocket(namespace: namespace)
            // Deleting a table that does not exist changes nothing; the answer says whether
            // nf_tables is there (ENOENT) and whether we may change it (EPERM otherwise).
            try socket.begin()
            try socket.deleteTable("geofilter-probe-\(UInt32.random(in: 0...UInt32.max))")
            do {
                try socket.commit()
            } catch where error.code == .kernel {
                // ENOENT: permitted, and the table is absent, as expected.
            }
            return BackendProbe(available: true, message: "nf_tables is available and this process may change it")
        } catch {
            return BackendProbe(available: false, message: error.message)
        }
    }

    public func apply(_ plan: FirewallPlan) throws(GeoFilterError) -> ApplyOutcome {
        let socket = try NftSocket(namespace: namespace)
        if let comment = try socket.tableComment(names.table), TableComment(parsing: comment)?.digest == plan.digest {
            return .unchanged(digest: plan.digest)
        }
        let table = names.table
        try socket.begin()
        // Create-if-absent then delete: the old table goes in the same transaction, whether or not it existed.
        try socket.addTable(table, comment: nil)
        try socket.deleteTable(table)
        try socket.addTable(table, comment: TableComment(plan: plan).text)
        var setIDs: [String: UInt32] = [:]
        for role in plan.setRoles {
            for family in IPAddressFamily.allCases {
                let name = role.name(family)
                let set = plan.addresses(of: role, family, for: .intervals)
                let id = UInt32(setIDs.count + 1)
                setIDs[name] = id
                try socket.addSet(
                    table: table, set: name, family: family, id: id,
                    comment: "geofilter \(name) elements:\(set.rangeCount(family))")
                try socket.elements(table: table, set: name, family: family, bounds: set.rangeBounds(family))
                if injectOverlapFault && role == .geo && family == .ipv4, let first = set.ipv4Ranges.first {
                    // An element inside an existing range: the kernel answers EEXIST.
                    let inside = CIDRSet([IPv4Network(host: first.first)])
                    try socket.elements(table: table, set: name, family: .ipv4, bounds: inside.rangeBounds(.ipv4))
                }
            }
        }
        for direction in plan.policy.directions.sorted() {
            let chain = direction.rawValue
            try socket.addChain(table: table, chain: chain, hook: direction, priority: priority)
            for rule in plan.rules {
                try addRule(rule, plan: plan, socket: socket, chain: chain, setIDs: setIDs)
            }
        }
        try socket.commit()
        return .applied(digest: plan.digest)
    }

    private func addRule(
        _ rule: PlanRule, plan: FirewallPlan, socket: NftSocket, chain: String, setIDs: [String: UInt32]
    ) throws(GeoFilterError) {
        let table = names.table
        func bySource(_ role: PlanSet) throws(GeoFilterError) {
            for family in IPAddressFamily.allCases {
                let name = role.name(family)
                try socket.addRule(
                    table: table, chain: chain,
                    match: .source(family: family, set: name, setID: setIDs[name] ?? 0, negate: false, ports: nil),
                    accept: true, counter: false, comment: name)
            }
        }
        switch rule {
        case .acceptEstablished:
            try socket.addRule(table: table, chain: chain, match: .established, accept: true, counter: false, comment: "established")
        case .acceptTrusted: try bySource(.trusted)
        case .acceptProviders: try bySource(.provider)
        case .acceptReserved: try bySource(.reserved)
        case .acceptLoopback:
            try socket.addRule(table: table, chain: chain, match: .loopbackInterface, accept: true, counter: false, comment: "loopback")
        case .dropGeo:
            for family in IPAddressFamily.allCases {
                let name = PlanSet.geo.name(family)
                let match = plan.geoMatch(family, for: .intervals)
                let negate = match.polarity == .sourceNotIn
                if plan.policy.scope.isAllTraffic {
                    try socket.addRule(
                        table: table, chain: chain,
                        match: .source(family: family, set: name, setID: setIDs[name] ?? 0, negate: negate, ports: nil),
                        accept: false, counter: true, comment: name)
                }
                for portRule in plan.policy.scope.rules {
                    for range in portRule.ports {
                        try socket.addRule(
                            table: table, chain: chain,
                            match: .source(family: family, set: name, setID: setIDs[name] ?? 0, negate: negate, ports: (portRule.transport, range)),
                            accept: false, counter: true,
                            comment: "\(name) \(portRule.transport) \(range.lowerBound)-\(range.upperBound)")
                    }
                }
            }
        }
    }

    public func status() throws(GeoFilterError) -> FirewallStatus {
        let socket = try NftSocket(namespace: namespace)
        guard let comment = try socket.tableComment(names.table) else {
            return FirewallStatus(backend: "nftables", installed: false, digest: nil, mode: nil, countries: [], sets: [], counters: [])
        }
        let parsed = TableComment(parsing: comment)
        var sets: [FirewallStatus.SetStatus] = []
        for role in PlanSet.allCases {
            for family in IPAddressFamily.allCases {
                guard let setComment = try socket.setComment(table: names.table, set: role.name(family)),
                    let count = setComment.split(separator: " ").first(where: { $0.hasPrefix("elements:") }).flatMap({ Int($0.dropFirst(9)) })
                else { continue }
                sets.append(.init(name: role.name(family), elements: count))
            }
        }
        let counters = try socket.ruleCounters(table: names.table).map {
            FirewallStatus.Counter(chain: $0.chain, rule: $0.comment, packets: $0.packets, bytes: $0.bytes)
        }
        return FirewallStatus(
            backend: "nftables", installed: true, digest: parsed?.digest, mode: parsed?.mode,
            countries: parsed?.countries.map(\.alpha2) ?? [], sets: sets, counters: counters)
    }

    public func remove() throws(GeoFilterError) -> Bool {
        let socket = try NftSocket(namespace: namespace)
        let existed = try socket.tableComment(names.table) != nil
        try socket.begin()
        try socket.addTable(names.table, comment: nil)
        try socket.deleteTable(names.table)
        try socket.commit()
        return existed
    }
}

/// The metadata kept in the table's comment (at most 256 bytes):
/// `geofilter 1 sha256:HEX mode:block|allow-only countries:HEX`, the countries as a bitmap over
/// ``Country/all``.
struct TableComment {
    var digest: String
    var mode: GeoPolicy.Mode
    var countries: [Country]

    init(plan: FirewallPlan) {
        digest = plan.digest
        mode = plan.policy.mode
        countries = plan.countries
    }

    init?(parsing text: String) {
        let fields = text.split(separator: " ")
        guard fields.count == 5, fields[0] == "geofilter", fields[1] == "1", fields[2].hasPrefix("sha256:"),
            fields[3].hasPrefix("mode:"), fields[4].hasPrefix("countries:")
        else { return nil }
        digest = String(fields[2].dropFirst(7))
        mode = fields[3] == "mode:block" ? .blockSelected : .allowOnlySelected
        let bitmap = Array(fields[4].dropFirst(10))
        var countries: [Country] = []
        for (index, character) in bitmap.enumerated() {
            guard let nibble = character.hexDigitValue else { return nil }
            for bit in 0..<4 where nibble & (8 >> bit) != 0 {
                let position = index * 4 + bit
                if position < Country.all.count { countries.append(Country.all[position]) }
            }
        }
        self.countries = countries
    }

    var text: String {
        var nibbles = [Int](repeating: 0, count: (Country.all.count + 3) / 4)
        for country in countries {
            let position = Int(country.index)
            nibbles[position / 4] |= 8 >> (position % 4)
        }
        let bitmap = nibbles.map { String($0, radix: 16) }.joined()
        return "geofilter 1 sha256:\(digest) mode:\(mode == .blockSelected ? "block" : "allow-only") countries:\(bitmap)"
    }
}
