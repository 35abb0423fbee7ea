/// Enforces plans with ipset `hash:net` sets, filled in-process through libipset, and
/// iptables/ip6tables rules in a chain of our own (default `GEOFILTER`) jumped to from INPUT
/// (and FORWARD), installed with `iptables-restore --noflush`: the path MikoPBX takes.
///
/// Each set is replaced by filling a new set under a temporary name (`geofilter-geo4-new`,
/// sized anew from the plan), swapping it with the live one and destroying the old contents,
/// so packet matching never sees a partly filled set, and a failure while filling leaves the
/// old sets in force. When the rules change too (another mode, scope or set polarity), the
/// chain is emptied while the sets are swapped, so for those milliseconds the geo rule is
/// absent rather than wrong: nothing is dropped that the old or the new plan would accept.
///
/// The plan record (digest, mode, countries, entry counts, rules fingerprint) is the comment
/// of the single entry of the set `geofilter-meta`.
///
/// Within one process, ``apply(_:)``, ``status()`` and ``remove()`` on the same network
/// namespace run one at a time; on different namespaces they run side by side (libipset is
/// locked only inside each of its calls, never while the iptables programs run).
public struct IPSetBackend: FirewallBackend {
    /// The set prefix and chain name.
    public var names: KernelNames
    /// The network namespace to work in.
    public var namespace: NetworkNamespace
    /// Fewer distinct prefix lengths in the sets at the price of more entries (nil: the
    /// minimal cover). See ``PrefixReduction``.
    public var prefixReduction: PrefixReduction?
    /// Serialises applies, status reads and removes in the namespace across processes.
    var applyLock = ApplyLock()
    /// For tests: the temporary IPv4 geo set is created too small for its entries, so the
    /// kernel refuses an entry partway ("Hash is full").
    var injectFillFault = false

    /// The suffix of the temporary sets.
    static let temporarySuffix = "-new"
    /// ipset's limit on set names (IPSET_MAXNAMELEN minus the NUL).
    static let maximumNameLength = 31

    public init(names: KernelNames = .standard, namespace: NetworkNamespace = .current, prefixReduction: PrefixReduction? = nil) {
        self.names = names
        self.namespace = namespace
        self.prefixReduction = prefixReduction
    }

    /// The kernel name of a plan set (`geofilter-geo4`).
    public func setName(_ role: PlanSet, _ family: IPAddressFamily) -> String { names.setPrefix + role.name(family) }

    /// The set holding the plan record.
    public var metaSetName: String { names.setPrefix + "meta" }

    private var tool: IPTablesTool { IPTablesTool(namespace: namespace) }

    /// Every name this backend may create, checked against ipset's 31-character limit.
    private func checkNames() throws(GeoFilterError) {
        let longest = setName(.provider, .ipv6) + Self.temporarySuffix
        guard longest.utf8.count <= Self.maximumNameLength else {
            throw GeoFilterError(.invalidInput, "the set prefix '\(names.setPrefix)' is too long: '\(longest)' exceeds ipset's \(Self.maximumNameLength) characters")
        }
        guard !names.chain.isEmpty, names.chain.utf8.count <= 28, names.chain.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw GeoFilterError(.invalidInput, "the chain name '\(names.chain)' must be 1-28 letters, digits, '-' or '_'")
        }
    }

    public func probe() -> BackendProbe {
        if let reason = IPSetSession.libraryError {
            return BackendProbe(available: false, message: reason, reason: .missingLibrary)
        }
        do {
            try IPSetSession.with(namespace: namespace) { (_: borrowing IPSetSession) throws(GeoFilterError) in }
            for family in IPAddressFamily.allCases {
                let program = family == .ipv4 ? "iptables-restore" : "ip6tables-restore"
                guard IPTablesTool.locate(program) != nil else {
                    return BackendProbe(available: false, message: "\(program) is not installed (Debian: apt-get install iptables)", reason: .missingTool)
                }
            }
            return BackendProbe(available: true, message: "ipset is available and this process may change it")
        } catch {
            return BackendProbe(available: false, message: error.message, reason: BackendProbe.Reason(error))
        }
    }

    public func apply(_ plan: FirewallPlan) throws(GeoFilterError) -> ApplyOutcome {
        try checkNames()
        let tool = self.tool
        // The apply lock keeps this apply whole against every other apply, status or remove of
        // this backend in the namespace, in any process; the libipset lock is held only inside
        // each ipset call, not while iptables runs.
        return try applyLock.withLock(backend: .ipset, namespace: namespace) { () throws(GeoFilterError) -> ApplyOutcome in
            try IPSetSession.with(namespace: namespace) { session throws(GeoFilterError) -> ApplyOutcome in
                try apply(plan, tool: tool, session: session)
            }
        }
    }

    private func apply(_ plan: FirewallPlan, tool: IPTablesTool, session: borrowing IPSetSession) throws(GeoFilterError) -> ApplyOutcome {
        let record = try readRecord(session)
        let fingerprint = rulesFingerprint(plan)
        var saved: [IPAddressFamily: IPTablesState] = [:]
        for family in IPAddressFamily.allCases { saved[family] = IPTablesState(try tool.save(family), chain: names.chain) }
        let directions = Set(plan.policy.directions.map { $0 == .input ? "INPUT" : "FORWARD" })
        let rulesInPlace = IPAddressFamily.allCases.allSatisfy { saved[$0]!.hasChain && saved[$0]!.jumps == directions }
        if record?.digest == plan.digest, record?.extras["r"] == fingerprint, rulesInPlace {
            return .unchanged(digest: plan.digest)
        }
        // The filter tables that did not exist before our first apply, to delete on remove.
        let createdTables = record?.extras["f"] ?? IPAddressFamily.allCases.filter { !saved[$0]!.hasFilterTable }.map { $0 == .ipv4 ? "4" : "6" }.joined()

        let temporaries = try fillTemporarySets(plan, session: session)
        let structureChanges = record?.extras["r"] != fingerprint || !rulesInPlace
        var swapped: [(String, String)] = []
        do throws(GeoFilterError) {
            if structureChanges {
                // The geo rule is absent while the sets change under it.
                for family in IPAddressFamily.allCases where saved[family]!.hasChain {
                    try tool.restore(family, "*filter\n:\(names.chain) - [0:0]\nCOMMIT\n")
                }
            }
            for (live, temporary, family, count) in temporaries {
                if try session.header(live) == nil {
                    let sizing = FirewallPlan.ipsetSizing(count)
                    try session.create(live, family: family, hashSize: sizing.hashSize, maxElements: sizing.maxElements)
                }
                try session.swap(live, temporary)
                swapped.append((live, temporary))
            }
            for family in IPAddressFamily.allCases {
                try tool.restore(family, plan.iptablesScript(family, names: names, existingJumps: saved[family]!.jumps))
            }
        } catch {
            rollBack(swapped: swapped, saved: saved, session: session)
            for (_, temporary, _, _) in temporaries { _ = try? session.destroy(temporary) }
            throw error
        }
        // The old contents, and sets of roles the plan no longer has (now unreferenced).
        for (_, temporary, _, _) in temporaries { try session.destroy(temporary) }
        for role in PlanSet.allCases where !plan.setRoles.contains(role) {
            for family in IPAddressFamily.allCases { try session.destroy(setName(role, family)) }
        }
        var newRecord = PlanRecord(plan: plan, sets: setFigures(plan))
        newRecord.extras = ["r": fingerprint, "f": createdTables.isEmpty ? "-" : createdTables]
        try writeRecord(newRecord, session: session)
        return .applied(digest: plan.digest)
    }

    /// Creates and fills the temporary sets; on failure destroys them again and throws.
    private func fillTemporarySets(
        _ plan: FirewallPlan, session: borrowing IPSetSession
    ) throws(GeoFilterError) -> [(live: String, temporary: String, family: IPAddressFamily, count: Int)] {
        var made: [(live: String, temporary: String, family: IPAddressFamily, count: Int)] = []
        do throws(GeoFilterError) {
            // Accept sets first, the geo set last: while they are swapped one by one, a
            // network newly trusted is already accepted before the geo set changes.
            for role in plan.setRoles {
                for family in IPAddressFamily.allCases {
                    let live = setName(role, family)
                    let temporary = live + Self.temporarySuffix
                    let entries = plan.hashNetEntries(role, family, reduction: prefixReduction)
                    let sizing = FirewallPlan.ipsetSizing(entries.count)
                    let faulty = injectFillFault && role == .geo && family == .ipv4
                    try session.destroy(temporary)  // left over from an interrupted apply
                    try session.create(
                        temporary, family: family, hashSize: sizing.hashSize, maxElements: faulty ? max(1, entries.count / 2) : sizing.maxElements)
                    made.append((live, temporary, family, entries.count))
                    try session.add(temporary, entries)
                }
            }
        } catch {
            for set in made { _ = try? session.destroy(set.temporary) }
            throw error
        }
        return made
    }

    /// Puts the previous chain rules and set contents back after a failed switch.
    private func rollBack(swapped: [(String, String)], saved: [IPAddressFamily: IPTablesState], session: borrowing IPSetSession) {
        for family in IPAddressFamily.allCases where saved[family]!.hasChain {
            try? tool.restore(family, "*filter\n:\(names.chain) - [0:0]\n" + saved[family]!.chainRules.map { $0 + "\n" }.joined() + "COMMIT\n")
        }
        for (live, temporary) in swapped.reversed() { try? session.swap(live, temporary) }
    }

    /// A short hash of everything but the set contents: the rules of both families.
    func rulesFingerprint(_ plan: FirewallPlan) -> String {
        var hasher = SHA256()
        for family in IPAddressFamily.allCases {
            for line in plan.iptablesRules(family, names: names) { hasher.update(line + "\n") }
        }
        hasher.update(plan.policy.directions.sorted().map(\.rawValue).joined(separator: ","))
        return String(SHA256.hex(hasher.finalize()).prefix(12))
    }

    /// Entry counts of the plan's sets, as loaded.
    private func setFigures(_ plan: FirewallPlan) -> [FirewallStatus.SetStatus] {
        plan.setRoles.flatMap { role in
            IPAddressFamily.allCases.map { family in
                FirewallStatus.SetStatus(name: role.name(family), elements: plan.hashNetLayout(role, family, reduction: prefixReduction).entries)
            }
        }
    }

    // MARK: Record

    /// The address of the meta set's single entry (any address: no rule references the set).
    private static let recordEntry = IPv4Network(masking: IPv4Address(0x7F00_0000), prefixLength: 8)

    private func readRecord(_ session: borrowing IPSetSession) throws(GeoFilterError) -> PlanRecord? {
        guard let text = try session.save(metaSetName) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("add ") {
            guard let start = line.firstRange(of: "comment \"") else { continue }
            let comment = line[start.upperBound...].dropLast(line.hasSuffix("\"") ? 1 : 0)
            return PlanRecord(parsing: String(comment))
        }
        return nil
    }

    private func writeRecord(_ record: PlanRecord, session: borrowing IPSetSession) throws(GeoFilterError) {
        let text = record.text
        guard text.utf8.count <= 255 else {
            throw GeoFilterError(.limitExceeded, "the plan record is \(text.utf8.count) bytes, over ipset's 255 for a comment")
        }
        let temporary = metaSetName + Self.temporarySuffix
        try session.destroy(temporary)
        try session.create(temporary, family: .ipv4, hashSize: 64, maxElements: 16, comments: true)
        try session.add(temporary, HashNetEntries(Self.recordEntry), comment: text)
        if try session.header(metaSetName) == nil {
            try session.create(metaSetName, family: .ipv4, hashSize: 64, maxElements: 16, comments: true)
        }
        try session.swap(metaSetName, temporary)
        try session.destroy(temporary)
    }

    // MARK: Status and removal

    public func status() throws(GeoFilterError) -> FirewallStatus {
        try checkNames()
        let tool = self.tool
        return try applyLock.withLock(backend: .ipset, namespace: namespace) { () throws(GeoFilterError) -> FirewallStatus in
            try IPSetSession.with(namespace: namespace) { session throws(GeoFilterError) -> FirewallStatus in
                try status(tool: tool, session: session)
            }
        }
    }

    private func status(tool: IPTablesTool, session: borrowing IPSetSession) throws(GeoFilterError) -> FirewallStatus {
        let record = try readRecord(session)
        var counters: [FirewallStatus.Counter] = []
        var hasChain = false
        for family in IPAddressFamily.allCases {
            let state = IPTablesState(try tool.save(family), chain: names.chain)
            hasChain = hasChain || state.hasChain
            counters += state.dropCounters.map { FirewallStatus.Counter(chain: names.chain, rule: $0.rule, packets: $0.packets, bytes: $0.bytes) }
        }
        var sets: [FirewallStatus.SetStatus] = []
        for role in PlanSet.allCases {
            for family in IPAddressFamily.allCases {
                guard let header = try session.header(setName(role, family)) else { continue }
                sets.append(FirewallStatus.SetStatus(name: setName(role, family), elements: Self.entryCount(header) ?? 0))
            }
        }
        return FirewallStatus(
            backend: .ipset, installed: record != nil || hasChain, digest: record?.digest, mode: record?.mode,
            countries: record?.countries.map(\.alpha2) ?? [], sets: sets, counters: counters, countryCounters: [])
    }

    /// "Number of entries: N" from `ipset list -t` text.
    static func entryCount(_ header: String) -> Int? {
        header.split(separator: "\n").lazy.compactMap { line -> Int? in
            guard line.hasPrefix("Number of entries:") else { return nil }
            return Int(line.dropFirst("Number of entries:".count).trimmingPrefix(" "))
        }.first
    }

    public func remove() throws(GeoFilterError) -> Bool {
        try checkNames()
        let tool = self.tool
        return try applyLock.withLock(backend: .ipset, namespace: namespace) { () throws(GeoFilterError) -> Bool in
            try IPSetSession.with(namespace: namespace) { session throws(GeoFilterError) -> Bool in
                try remove(tool: tool, session: session)
            }
        }
    }

    private func remove(tool: IPTablesTool, session: borrowing IPSetSession) throws(GeoFilterError) -> Bool {
        let record = try readRecord(session)
        var existed = record != nil
        for family in IPAddressFamily.allCases {
            let state = IPTablesState(try tool.save(family), chain: names.chain)
            guard state.hasChain else { continue }
            existed = true
            var script = "*filter\n"
            for hook in state.jumps.sorted() { script += "-D \(hook) -j \(names.chain)\n" }
            script += ":\(names.chain) - [0:0]\n-X \(names.chain)\nCOMMIT\n"
            try tool.restore(family, script)
        }
        // Every set of ours, the temporary ones of an interrupted apply included.
        let listing = try session.save(nil) ?? ""
        for line in listing.split(separator: "\n") where line.hasPrefix("create \(names.setPrefix)") {
            let name = line.split(separator: " ")[1]
            if isOurs(String(name)) {
                existed = true
                try session.destroy(String(name))
            }
        }
        try removeCreatedFilterTables(record?.extras["f"] ?? "")
        return existed
    }

    /// Whether a set name is one this backend makes.
    private func isOurs(_ name: String) -> Bool {
        var ours = [metaSetName]
        for role in PlanSet.allCases { for family in IPAddressFamily.allCases { ours.append(setName(role, family)) } }
        return ours.contains(name) || ours.contains { name == $0 + Self.temporarySuffix }
    }

    /// Deletes the filter tables our first apply made (iptables-nft), when nothing is left in them.
    private func removeCreatedFilterTables(_ families: String) throws(GeoFilterError) {
        let created = IPAddressFamily.allCases.filter { families.contains($0 == .ipv4 ? "4" : "6") }
        guard !created.isEmpty, try tool.usesNftables() else { return }
        for family in created where IPTablesState(try tool.save(family), chain: names.chain).isEmptyFilterTable {
            try NftSocket.deleteTable("filter", family: family, namespace: namespace)
        }
    }
}
