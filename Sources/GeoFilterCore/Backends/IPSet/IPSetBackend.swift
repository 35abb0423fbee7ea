/// Enforces plans with ipset `hash:net` sets, filled in-process through libipset, and
/// iptables/ip6tables rules installed with `iptables-restore --noflush`: the path MikoPBX takes.
///
/// Every apply builds a new *generation*: sets `geofilter-geo4-k3x9q2` (the generation token
/// is random, unique per apply) filled completely while nothing references them, and a chain
/// `GEOFILTER-k3x9q2` referencing them. INPUT (and FORWARD) jump to a dispatcher chain
/// `GEOFILTER` whose one rule jumps to the live generation's chain; one
/// `iptables-restore --noflush` commit per family creates the new chain and points the
/// dispatcher at it, so each family enforces the complete old plan or the complete new one at
/// every instant, even if the process is killed between any two steps. The old generation's
/// chains and sets are removed afterwards.
///
/// The plan record (digest, mode, countries, entry counts, generation, rules fingerprints) is
/// the comment of an entry of the set `geofilter-meta`; before anything changes, an apply adds
/// a *pending* entry describing the plan it installs, and it removes that marker last.
/// ``apply(_:)`` answers "unchanged" only when the kernel matches the record (dispatcher,
/// jumps, the chain's rules, the sets and their entry counts); otherwise it re-applies. The
/// leftovers of a killed apply are removed by the next apply; ``status()`` reports them, and
/// a pending or damaged state.
///
/// Applies, status reads and removes on one namespace are serialised across processes by
/// ``ApplyLock``; on different namespaces they run side by side (libipset is locked only inside
/// each of its calls, never while the iptables programs run).
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
    /// For tests: the new IPv4 geo set is created too small for its entries, so the kernel
    /// refuses an entry partway ("Hash is full").
    var injectFillFault = false
    /// For tests: the switch of this family references a set that does not exist, so its
    /// `iptables-restore` fails (after the other family's switch when this is IPv6).
    var injectSwitchFault: IPAddressFamily?
    /// For tests: stop dead before the kernel-changing step with this number (1-based), doing
    /// no clean-up, as if the process were killed there (see ``ApplyStepCounter``).
    var stopBeforeStep: Int?

    /// ipset's limit on set names (IPSET_MAXNAMELEN minus the NUL).
    static let maximumNameLength = 31
    /// iptables' limit on chain names (XT_EXTENSION_MAXNAMELEN minus the NUL).
    static let maximumChainLength = 28
    /// The length of a generation token.
    static let generationLength = 6

    public init(names: KernelNames = .standard, namespace: NetworkNamespace = .current, prefixReduction: PrefixReduction? = nil) {
        self.names = names
        self.namespace = namespace
        self.prefixReduction = prefixReduction
    }

    /// The base name of a plan set (`geofilter-geo4`); the kernel's sets carry the generation
    /// after it (``setName(_:_:generation:)``).
    public func setName(_ role: PlanSet, _ family: IPAddressFamily) -> String { names.setPrefix + role.name(family) }

    /// The kernel name of a plan set in a generation: `geofilter-geo4-k3x9q2`.
    func setName(_ role: PlanSet, _ family: IPAddressFamily, generation: String) -> String {
        setName(role, family) + Self.suffix(generation)
    }

    /// The chain of a generation: `GEOFILTER-k3x9q2` (`""`: the dispatcher itself, which held
    /// the rules before generations).
    func chainName(generation: String) -> String { names.chain + Self.suffix(generation) }

    static func suffix(_ generation: String) -> String { generation.isEmpty ? "" : "-" + generation }

    /// The set holding the plan records.
    public var metaSetName: String { names.setPrefix + "meta" }

    /// The live sets of the live generation, by kernel name, for tests and tools.
    func liveSetName(_ role: PlanSet, _ family: IPAddressFamily) throws(GeoFilterError) -> String? {
        let view = try IPSetSession.with(namespace: namespace) { session throws(GeoFilterError) in try readKernel(tool, session) }
        guard let generation = view.liveGeneration(family) else { return nil }
        return setName(role, family, generation: generation)
    }

    var tool: IPTablesTool { IPTablesTool(namespace: namespace) }

    /// Every name this backend may create, checked against ipset's and iptables' limits.
    private func checkNames() throws(GeoFilterError) {
        let longest = setName(.provider, .ipv6) + "-" + String(repeating: "x", count: Self.generationLength)
        guard longest.utf8.count <= Self.maximumNameLength else {
            throw GeoFilterError(.invalidInput, "the set prefix '\(names.setPrefix)' is too long: '\(longest)' exceeds ipset's \(Self.maximumNameLength) characters")
        }
        let chainLimit = Self.maximumChainLength - 1 - Self.generationLength
        guard !names.chain.isEmpty, names.chain.utf8.count <= chainLimit, names.chain.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw GeoFilterError(.invalidInput, "the chain name '\(names.chain)' must be 1-\(chainLimit) letters, digits, '-' or '_'")
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
                try apply(plan, tool: tool, session: session, steps: ApplyStepCounter(stopBefore: stopBeforeStep))
            }
        }
    }

    // MARK: Reading the kernel

    /// Both families' filter tables and every set's header.
    func readKernel(_ tool: IPTablesTool, _ session: borrowing IPSetSession) throws(GeoFilterError) -> IPSetKernelView {
        var tables: [IPAddressFamily: IPTablesState] = [:]
        for family in IPAddressFamily.allCases { tables[family] = IPTablesState(try tool.save(family), chain: names.chain) }
        return IPSetKernelView(tables: tables, sets: IPSetHeader.parse(try session.headers()))
    }

    func readRecords(_ session: borrowing IPSetSession) throws(GeoFilterError) -> IPSetRecords {
        IPSetRecords(saved: try session.save(metaSetName) ?? "")
    }

    /// A set name of ours split into its base (`geo4`, `meta`) and generation (`""` for the
    /// names before generations); nil for a name that is not ours.
    func parseSetName(_ name: String) -> (base: String, generation: String)? {
        guard name.hasPrefix(names.setPrefix) else { return nil }
        let rest = name.dropFirst(names.setPrefix.count)
        var bases = ["meta"]
        for role in PlanSet.allCases { for family in IPAddressFamily.allCases { bases.append(role.name(family)) } }
        for base in bases where rest.hasPrefix(base) {
            let tail = rest.dropFirst(base.count)
            if tail.isEmpty { return (base, "") }
            if tail.first == "-", Self.isGeneration(tail.dropFirst()) { return (base, String(tail.dropFirst())) }
        }
        return nil
    }

    /// A generation token (and `new`, the temporary suffix before generations).
    static func isGeneration(_ text: Substring) -> Bool {
        (1...8).contains(text.count) && text.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// A fresh generation token, unused by any set or chain in the kernel.
    static func newGeneration(avoiding view: IPSetKernelView) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        while true {
            let token = String((0..<generationLength).map { _ in alphabet.randomElement()! })
            let used = view.sets.keys.contains { $0.hasSuffix("-" + token) }
                || view.tables.values.contains { $0.generationChains.keys.contains { $0.hasSuffix("-" + token) } }
            if !used { return token }
        }
    }

    /// What no dispatcher refers to: generation chains, and our sets of other generations
    /// (meta temporaries included). Nothing of it is referenced by a rule packets traverse.
    func leftovers(_ view: IPSetKernelView) -> (chains: [IPAddressFamily: [String]], sets: [String]) {
        var chains: [IPAddressFamily: [String]] = [:]
        var kept: [IPAddressFamily: Set<String>] = [:]
        for family in IPAddressFamily.allCases {
            kept[family] = view.tables[family]?.referencedGenerations ?? []
            let keptChains = Set(kept[family]!.map { chainName(generation: $0) })
            chains[family] = (view.tables[family]?.generationChains.keys.filter { !keptChains.contains($0) } ?? []).sorted()
        }
        var sets: [String] = []
        for name in view.sets.keys.sorted() {
            guard let parsed = parseSetName(name) else { continue }
            if parsed.base == "meta" {
                if !parsed.generation.isEmpty { sets.append(name) }
                continue
            }
            let family: IPAddressFamily = parsed.base.hasSuffix("4") ? .ipv4 : .ipv6
            if !(kept[family]?.contains(parsed.generation) ?? false) { sets.append(name) }
        }
        return (chains, sets)
    }

    /// The rules of a generation in both families, normalised (generation names back to base
    /// names, counters off) with the jumps, hashed: what the record's `k` field keeps.
    func kernelFingerprint(_ view: IPSetKernelView, generation: String) -> String {
        var hasher = SHA256()
        for family in IPAddressFamily.allCases {
            let state = view.tables[family]
            for line in state?.rules(ofGeneration: generation) ?? [] {
                hasher.update((generation.isEmpty ? line : line.replacing("-" + generation, with: "")) + "\n")
            }
            hasher.update("jumps " + (state?.jumps.sorted().joined(separator: ",") ?? "") + "\n")
        }
        return String(SHA256.hex(hasher.finalize()).prefix(12))
    }

    /// Why the kernel does not hold `record`'s plan completely (empty when it does): each
    /// family's dispatcher must jump to the record's generation, the chains' rules and jumps
    /// must hash to the record's fingerprint (when it has one), and each set must exist with
    /// the recorded number of entries.
    func problems(_ record: PlanRecord, in view: IPSetKernelView) -> [String] {
        var problems: [String] = []
        let generation = record.generation
        for family in IPAddressFamily.allCases {
            let state = view.tables[family]
            let name = family == .ipv4 ? "IPv4" : "IPv6"
            if state?.jumps.isEmpty ?? true {
                problems.append("\(name): nothing jumps to the chain \(names.chain)")
            } else if state?.hasChain == true, state?.chainRules.isEmpty == true {
                problems.append("\(name): the chain \(names.chain) is empty")
            } else if let live = state?.liveGeneration, live != generation {
                problems.append("\(name): \(names.chain) jumps to \(chainName(generation: live)), not \(chainName(generation: generation))")
            } else if state?.liveGeneration == nil {
                problems.append("\(name): \(names.chain) does not jump to an existing chain of ours")
            }
        }
        if problems.isEmpty, let expected = record.extras["k"], kernelFingerprint(view, generation: generation) != expected {
            problems.append("the rules in \(chainName(generation: generation)) or the jumps to \(names.chain) differ from those applied")
        }
        for figure in record.sets {
            let name = names.setPrefix + figure.name + Self.suffix(generation)
            if let header = view.sets[name] {
                if header.entries != figure.elements {
                    problems.append("set \(name) holds \(header.entries) entries, not \(figure.elements)")
                }
            } else {
                problems.append("set \(name) is missing")
            }
        }
        return problems
    }

    // MARK: Record

    /// Writes the records by filling the temporary meta set `geofilter-meta-TOKEN` and
    /// swapping it in (one atomic change); with neither record, destroys the meta set.
    func writeRecords(_ records: IPSetRecords, token: String, session: borrowing IPSetSession) throws(GeoFilterError) {
        guard records.record != nil || records.pending != nil else {
            try session.destroy(metaSetName)
            return
        }
        for record in [records.record, records.pending].compactMap({ $0 }) {
            let text = record.text
            guard text.utf8.count <= 255 else {
                throw GeoFilterError(.limitExceeded, "the plan record is \(text.utf8.count) bytes, over ipset's 255 for a comment")
            }
        }
        let temporary = metaSetName + "-" + token
        try session.destroy(temporary)
        try session.create(temporary, family: .ipv4, hashSize: 64, maxElements: 16, comments: true)
        if let record = records.record {
            try session.add(temporary, HashNetEntries(IPSetRecords.recordEntry), comment: record.text)
        }
        if let pending = records.pending {
            try session.add(temporary, HashNetEntries(IPSetRecords.pendingEntry), comment: pending.text)
        }
        if try session.header(metaSetName) == nil {
            try session.create(metaSetName, family: .ipv4, hashSize: 64, maxElements: 16, comments: true)
        }
        try session.swap(metaSetName, temporary)
        try session.destroy(temporary)
    }

    /// A short hash of everything but the set contents: the rules of both families (base
    /// names) and the directions.
    func rulesFingerprint(_ plan: FirewallPlan) -> String {
        var hasher = SHA256()
        for family in IPAddressFamily.allCases {
            for line in plan.iptablesRules(family, names: names) { hasher.update(line + "\n") }
        }
        hasher.update(plan.policy.directions.sorted().map(\.rawValue).joined(separator: ","))
        return String(SHA256.hex(hasher.finalize()).prefix(12))
    }

    /// Entry counts of the plan's sets, as loaded.
    func setFigures(_ plan: FirewallPlan) -> [FirewallStatus.SetStatus] {
        plan.setRoles.flatMap { role in
            IPAddressFamily.allCases.map { family in
                FirewallStatus.SetStatus(name: role.name(family), elements: plan.hashNetLayout(role, family, reduction: prefixReduction).entries)
            }
        }
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
        let records = try readRecords(session)
        let view = try readKernel(tool, session)
        let known = [records.record, records.pending].compactMap { $0 }
        var familyDigests: [String: String] = [:]
        var counters: [FirewallStatus.Counter] = []
        var sets: [FirewallStatus.SetStatus] = []
        for family in IPAddressFamily.allCases {
            guard let live = view.liveGeneration(family) else { continue }
            if let record = known.first(where: { $0.generation == live }) { familyDigests[family.rawValue] = record.digest }
            let chain = chainName(generation: live)
            counters += (view.tables[family]?.dropCounters[chain] ?? []).map {
                FirewallStatus.Counter(chain: chain, rule: $0.rule, packets: $0.packets, bytes: $0.bytes)
            }
            for role in PlanSet.allCases {
                let name = setName(role, family, generation: live)
                if let header = view.sets[name] { sets.append(FirewallStatus.SetStatus(name: name, elements: header.entries)) }
            }
        }
        let recordProblems = records.record.map { problems($0, in: view) }
        let pendingProblems = records.pending.map { problems($0, in: view) }
        // The plan every family enforces completely, if any.
        let enforced: PlanRecord? =
            recordProblems?.isEmpty == true ? records.record : pendingProblems?.isEmpty == true ? records.pending : nil
        let state: FirewallStatus.State
        var issues: [String] = []
        if records.pending != nil {
            // Each family on the old or the new generation: an interrupted apply, no damage.
            let expected = Set(known.map(\.generation))
            let consistent = IPAddressFamily.allCases.allSatisfy { family in
                view.liveGeneration(family).map(expected.contains) ?? (records.record == nil && view.tables[family]?.jumps.isEmpty != false)
            }
            state = enforced != nil || consistent ? .pending : .damaged
            if enforced == nil { issues = recordProblems ?? pendingProblems ?? [] }
        } else if let recordProblems, !recordProblems.isEmpty {
            state = .damaged
            issues = recordProblems
        } else {
            state = .enforced
        }
        let described = enforced ?? records.record ?? records.pending
        let leftovers = leftovers(view)
        let hasChain = IPAddressFamily.allCases.contains { view.tables[$0]?.hasChain == true }
        return FirewallStatus(
            backend: .ipset, installed: records.record != nil || hasChain, digest: enforced?.digest, mode: described?.mode,
            countries: described?.countries.map(\.alpha2) ?? [], sets: sets, counters: counters, countryCounters: [],
            state: state, pendingDigest: records.pending?.digest, familyDigests: familyDigests,
            leftovers: IPAddressFamily.allCases.flatMap { leftovers.chains[$0] ?? [] }.sorted() + leftovers.sets, problems: issues)
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
        let records = try readRecords(session)
        var existed = records.record != nil || records.pending != nil
        let view = try readKernel(tool, session)
        for family in IPAddressFamily.allCases {
            guard let state = view.tables[family], state.hasChain || !state.generationChains.isEmpty else { continue }
            existed = true
            // One commit: the jumps, the dispatcher, then the generation chains it jumped to.
            var script = "*filter\n"
            for hook in state.jumps.sorted() { script += "-D \(hook) -j \(names.chain)\n" }
            if state.hasChain { script += ":\(names.chain) - [0:0]\n-X \(names.chain)\n" }
            for chain in state.generationChains.keys.sorted() { script += "-F \(chain)\n-X \(chain)\n" }
            try tool.restore(family, script + "COMMIT\n")
        }
        // Every set of ours, the temporary ones of an interrupted apply included.
        for name in view.sets.keys.sorted() where parseSetName(name) != nil {
            existed = true
            try session.destroy(name)
        }
        let created = records.record?.extras["f"] ?? records.pending?.extras["f"] ?? ""
        try removeCreatedFilterTables(created)
        return existed
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
