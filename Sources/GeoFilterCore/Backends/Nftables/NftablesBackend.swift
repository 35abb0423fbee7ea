internal import Synchronization
internal import SystemPackage

/// Enforces plans with nf_tables through libnftnl/libmnl (no `nft` process): one table of our
/// own (default `inet geofilter`) with interval sets and base chains, replaced in ONE netlink
/// batch transaction, so the kernel holds either the previous plan or the new one.
///
/// The plan's digest, mode, countries and set sizes are kept in the kernel as the comment of a
/// record rule in the chain `geofilter-meta` (never jumped to), so ``status()`` can say what is
/// enforced after the host process restarts.
///
/// When a plan differs from the one this backend applied last only in set elements (a data
/// update), only the changed elements are deleted and added, with the record, in one
/// transaction. Kernels before the upstream rbtree rework (2026) may miss lookups of untouched
/// elements while such a commit runs; set ``useElementDiff`` to false to always replace the
/// whole table.
public struct NftablesBackend: FirewallBackend {
    /// The table name and the other kernel names.
    public var names: KernelNames
    /// The base chains' priority (0: `filter`).
    public var priority: Int32
    /// The network namespace to work in.
    public var namespace: NetworkNamespace
    /// Apply small changes as element diffs (see above).
    public var useElementDiff: Bool
    /// Count drops per country: an interval verdict map whose ranges jump to one counter
    /// chain per region (`country-CN`). In block mode the map replaces the geo set (one lookup
    /// per packet); in allow-only mode the map lists every other region and is consulted only
    /// for sources already found outside the allow list, and addresses of no region are counted
    /// by the family's geo rule. The map holds each region's ranges apart, so it has more
    /// elements than the merged geo set (about 2.8x for "all but six countries").
    public var countryCounters: Bool
    /// Serialises applies and removes in the namespace across processes.
    var applyLock = ApplyLock()
    /// For tests: add an element that overlaps the geo set partway through the batch, which
    /// the kernel must reject, failing the whole transaction.
    var injectOverlapFault = false
    /// For tests: caps on the socket buffers of the commit (bytes), too small for the batch.
    var injectBufferLimit: (send: Int32, receive: Int32)?
    /// The plan this backend value (and its copies) applied last, for element diffs.
    private let lastApplied = LastAppliedPlan()

    static let metaChain = "geofilter-meta"

    public init(
        names: KernelNames = .standard, priority: Int32 = 0, namespace: NetworkNamespace = .current, useElementDiff: Bool = true,
        countryCounters: Bool = true
    ) {
        self.names = names
        self.priority = priority
        self.namespace = namespace
        self.useElementDiff = useElementDiff
        self.countryCounters = countryCounters
    }

    /// Whether the plan's geo rule uses the per-country verdict map.
    package func usesCountryMap(_ plan: FirewallPlan) -> Bool {
        countryCounters && plan.policy.enabled
    }

    /// The plain sets this backend creates for the plan (in block mode the map replaces the geo set).
    func setRoles(_ plan: FirewallPlan) -> [PlanSet] {
        usesCountryMap(plan) && plan.policy.mode == .blockSelected ? plan.setRoles.filter { $0 != .geo } : plan.setRoles
    }

    public func probe() -> BackendProbe {
        do throws(GeoFilterError) {
            try NftSocket.with(namespace: namespace) { socket throws(GeoFilterError) in
                // Deleting a table that does not exist changes nothing; the answer says whether
                // nf_tables is there (ENOENT) and whether we may change it (EPERM otherwise).
                try socket.begin()
                try socket.deleteTable("geofilter-probe-\(UInt32.random(in: 0...UInt32.max))")
                do throws(GeoFilterError) {
                    try socket.commit()
                } catch where error.errno == .noSuchFileOrDirectory {
                    // Permitted, and the table is absent, as expected.
                }
            }
            return BackendProbe(available: true, message: "nf_tables is available and this process may change it")
        } catch {
            return BackendProbe(available: false, message: error.message, reason: BackendProbe.Reason(error))
        }
    }

    public func apply(_ plan: FirewallPlan) throws(GeoFilterError) -> ApplyOutcome {
        // The kernel's transaction keeps each batch whole; the lock keeps the read of the record
        // and the batch built from it together against other applies in the namespace.
        let outcome = try applyLock.withLock(backend: .nftables, namespace: namespace) { () throws(GeoFilterError) -> ApplyOutcome in
            try NftSocket.with(namespace: namespace) { socket throws(GeoFilterError) -> ApplyOutcome in
                let enforced = try record(socket)
                if enforced?.digest == plan.digest { return .unchanged(digest: plan.digest) }
                let previous = lastApplied.plan.flatMap { $0.digest == enforced?.digest ? $0 : nil }
                if let limit = injectBufferLimit { socket.capBuffers(send: limit.send, receive: limit.receive) }
                do throws(GeoFilterError) {
                    return try writeBatch(plan, previous: previous, socket: socket)
                } catch {
                    // Replies lost (ENOBUFS: the receive buffer overflowed after the kernel had
                    // processed the batch) leave the outcome unknown to the socket; the record
                    // is part of the same transaction, so it tells whether the batch committed
                    // (read on a fresh socket: unread replies may still queue on this one).
                    let after = try? NftSocket.with(namespace: namespace) { fresh throws(GeoFilterError) in try record(fresh) }
                    if let after, after.digest == plan.digest { return .applied(digest: plan.digest) }
                    throw error
                }
            }
        }
        if case .unchanged = outcome { return outcome }
        lastApplied.plan = plan
        return outcome
    }

    /// Builds and commits the one transaction that turns the enforced plan into `plan`: an
    /// element diff when `previous` (the plan this backend applied last, still enforced) has
    /// the same structure, else a replacement of the whole table.
    func writeBatch(_ plan: FirewallPlan, previous: FirewallPlan?, socket: borrowing NftSocket) throws(GeoFilterError) -> ApplyOutcome {
        if useElementDiff, let previous, sameStructure(previous, plan) {
            return try applyDiff(from: previous, to: plan, socket: socket)
        }
        try applyFull(plan, socket: socket)
        return .applied(digest: plan.digest)
    }

    /// For tests: the batch ``apply(_:)`` would send for `plan` when `previous` is the plan this
    /// backend applied last and the kernel still enforces, recorded instead of sent (no socket,
    /// no privilege needed).
    func recordBatch(_ plan: FirewallPlan, previous: FirewallPlan? = nil) throws(GeoFilterError) -> (outcome: ApplyOutcome, bytes: [UInt8]) {
        let recorded = try NftSocket.recording { recorder throws(GeoFilterError) in
            try writeBatch(plan, previous: previous, socket: recorder)
        }
        return (recorded.result, recorded.bytes)
    }

    /// Replaces the whole table in one transaction.
    private func applyFull(_ plan: FirewallPlan, socket: borrowing NftSocket) throws(GeoFilterError) {
        let table = names.table
        try socket.begin()
        // Create-if-absent then delete: the old table goes in the same transaction, whether or not it existed.
        try socket.addTable(table, comment: nil)
        try socket.deleteTable(table)
        try socket.addTable(table, comment: "geofilter")
        var setIDs: [String: UInt32] = [:]
        if usesCountryMap(plan) {
            for region in plan.countedRegions {
                try addCountryChain(region, socket: socket)
            }
            for family in IPAddressFamily.allCases {
                let name = KernelNames.countryMap(family)
                let id = UInt32(setIDs.count + 1)
                setIDs[name] = id
                try socket.addVerdictMap(table: table, map: name, family: family, id: id, comment: "geofilter \(name)")
                let entries = plan.counterBounds(family)
                try socket.addMapElements(table: table, map: name, family: family, bounds: entries.bounds, chains: entries.regions.map(KernelNames.countryChain))
            }
        }
        for role in setRoles(plan) {
            for family in IPAddressFamily.allCases {
                let name = role.name(family)
                let set = plan.addresses(of: role, family, for: .intervals)
                let id = UInt32(setIDs.count + 1)
                setIDs[name] = id
                try socket.addSet(table: table, set: name, family: family, id: id, comment: "geofilter \(name)")
                try socket.addElements(table: table, set: name, family: family, bounds: set.rangeBounds(family))
            }
        }
        if injectOverlapFault { try injectFault(plan, socket: socket) }
        for direction in plan.policy.directions.sorted() {
            let chain = direction.rawValue
            try socket.addBaseChain(table: table, chain: chain, hook: direction, priority: priority)
            for rule in plan.rules {
                try addRule(rule, plan: plan, socket: socket, chain: chain, setIDs: setIDs)
            }
        }
        try socket.addRegularChain(table: table, chain: Self.metaChain)
        try socket.addRule(recordRule(plan))
        try socket.commit()
    }

    /// For tests: an element inside the first IPv4 range of the geo set or map, which the kernel
    /// rejects (EEXIST), failing the whole transaction.
    private func injectFault(_ plan: FirewallPlan, socket: borrowing NftSocket) throws(GeoFilterError) {
        if usesCountryMap(plan) {
            let entries = plan.counterBounds(.ipv4)
            guard let region = entries.regions.first else { return }
            let start = Array(entries.bounds[0..<4])
            try socket.addMapElements(table: names.table, map: KernelNames.countryMap(.ipv4), family: .ipv4, bounds: start + start, chains: [KernelNames.countryChain(region)])
        } else if let first = plan.addresses(of: .geo, .ipv4, for: .intervals).ipv4Ranges.first {
            try socket.addElements(table: names.table, set: PlanSet.geo.name(.ipv4), family: .ipv4, bounds: CIDRSet([IPv4Network(host: first.first)]).rangeBounds(.ipv4))
        }
    }

    /// The rule that keeps the plan record: a counter (never hit: the chain is never jumped to)
    /// and the record as its comment.
    private func recordRule(_ plan: FirewallPlan) throws(GeoFilterError) -> NftRule {
        NftRule(table: names.table, chain: Self.metaChain, comment: try recordText(plan), [.counter])
    }

    /// The plan record's text; the kernel keeps at most 256 bytes of a rule's user data.
    private func recordText(_ plan: FirewallPlan) throws(GeoFilterError) -> String {
        let text = PlanRecord(plan: plan, sets: setFigures(plan)).text
        guard text.utf8.count <= 240 else {
            throw GeoFilterError(.limitExceeded, "the plan record is \(text.utf8.count) bytes, over the kernel's limit for a rule comment")
        }
        return text
    }

    /// A region's counter chain: `counter drop`, the region's code as the comment.
    private func addCountryChain(_ region: RegionCode, socket: borrowing NftSocket) throws(GeoFilterError) {
        try socket.addRegularChain(table: names.table, chain: KernelNames.countryChain(region))
        try socket.addRule(
            NftRule(table: names.table, chain: KernelNames.countryChain(region), comment: region.code, [.counter, .verdict(.drop)]))
    }

    /// Element counts of the kernel sets and maps for the record.
    private func setFigures(_ plan: FirewallPlan) -> [FirewallStatus.SetStatus] {
        var figures = setRoles(plan).flatMap { role in
            IPAddressFamily.allCases.map { family in
                FirewallStatus.SetStatus(name: role.name(family), elements: plan.addresses(of: role, family, for: .intervals).rangeCount(family))
            }
        }
        if usesCountryMap(plan) {
            for family in IPAddressFamily.allCases {
                figures.append(.init(name: KernelNames.countryMap(family), elements: plan.countryRangeCount(family)))
            }
        }
        return figures
    }

    /// Deletes and adds only the changed elements, and replaces the record, in one transaction.
    private func applyDiff(from previous: FirewallPlan, to plan: FirewallPlan, socket: borrowing NftSocket) throws(GeoFilterError) -> ApplyOutcome {
        let table = names.table
        try socket.begin()
        var removedTotal = 0
        var addedTotal = 0
        var additions: [(String, IPAddressFamily, [UInt8])] = []
        // Deletes first: an added interval may not overlap one still in the set.
        for role in setRoles(plan) {
            for family in IPAddressFamily.allCases {
                let changes = CIDRSet.rangeChanges(
                    from: previous.addresses(of: role, family, for: .intervals), to: plan.addresses(of: role, family, for: .intervals), family)
                if changes.removedCount > 0 {
                    try socket.deleteElements(table: table, set: role.name(family), family: family, bounds: changes.removed)
                }
                if changes.addedCount > 0 { additions.append((role.name(family), family, changes.added)) }
                removedTotal += changes.removedCount
                addedTotal += changes.addedCount
            }
        }
        var mapAdditions: [(IPAddressFamily, [UInt8], [RegionCode])] = []
        if usesCountryMap(plan) {
            for family in IPAddressFamily.allCases {
                let changes = MapChanges(from: previous.counterBounds(family), to: plan.counterBounds(family), width: family == .ipv4 ? 8 : 32)
                if !changes.removed.isEmpty {
                    try socket.deleteElements(table: table, set: KernelNames.countryMap(family), family: family, bounds: changes.removed)
                }
                mapAdditions.append((family, changes.added, changes.addedRegions))
                removedTotal += changes.removedCount
                addedTotal += changes.addedRegions.count
            }
            // Chains for regions new to the plan (a region's chain that is no longer used stays,
            // unreferenced, until the next full apply).
            for region in Set(plan.countedRegions).subtracting(previous.countedRegions).sorted() {
                try addCountryChain(region, socket: socket)
            }
        }
        for (name, family, bounds) in additions {
            try socket.addElements(table: table, set: name, family: family, bounds: bounds)
        }
        for (family, bounds, regions) in mapAdditions where !regions.isEmpty {
            try socket.addMapElements(table: table, map: KernelNames.countryMap(family), family: family, bounds: bounds, chains: regions.map(KernelNames.countryChain))
        }
        if injectOverlapFault { try injectFault(plan, socket: socket) }
        try socket.flushChain(table: table, chain: Self.metaChain)
        try socket.addRule(recordRule(plan))
        try socket.commit()
        return .updated(digest: plan.digest, elementsRemoved: removedTotal, elementsAdded: addedTotal)
    }

    /// The geo rule's destination port ranges: one nil entry for all traffic.
    static func portList(_ plan: FirewallPlan) -> [(TransportProtocol, ClosedRange<UInt16>)?] {
        plan.policy.scope.isAllTraffic ? [nil] : plan.policy.scope.rules.flatMap { rule in rule.ports.map { (rule.transport, $0) } }
    }

    /// Whether two plans differ only in set elements (same sets, rules, scope, directions and
    /// geo polarity), so an element diff turns one into the other.
    func sameStructure(_ a: FirewallPlan, _ b: FirewallPlan) -> Bool {
        a.setRoles == b.setRoles && a.rules == b.rules && a.policy.scope == b.policy.scope
            && a.policy.directions == b.policy.directions
            && IPAddressFamily.allCases.allSatisfy { a.geoMatch($0, for: .intervals).polarity == b.geoMatch($0, for: .intervals).polarity }
    }

    /// The enforced plan's record, or nil when none is installed.
    private func record(_ socket: borrowing NftSocket) throws(GeoFilterError) -> PlanRecord? {
        guard try socket.tableComment(names.table) != nil else { return nil }
        return try socket.ruleCounters(table: names.table).lazy.filter { $0.chain == Self.metaChain }
            .compactMap { PlanRecord(parsing: $0.comment) }.first
    }

    private func addRule(
        _ rule: PlanRule, plan: FirewallPlan, socket: borrowing NftSocket, chain: String, setIDs: [String: UInt32]
    ) throws(GeoFilterError) {
        func add(_ comment: String, _ expressions: [NftExpression]) throws(GeoFilterError) {
            try socket.addRule(NftRule(table: names.table, chain: chain, comment: comment, expressions))
        }
        func bySource(_ role: PlanSet) throws(GeoFilterError) {
            for family in IPAddressFamily.allCases {
                let name = role.name(family)
                try add(
                    name,
                    NftExpression.sourceAddress(family, ports: nil) + [
                        .lookup(.r1, set: name, id: setIDs[name] ?? 0, inverted: false), .verdict(.accept),
                    ])
            }
        }
        func portComment(_ name: String, _ port: (TransportProtocol, ClosedRange<UInt16>)?) -> String {
            port.map { "\(name) \($0.0) \($0.1.lowerBound)-\($0.1.upperBound)" } ?? name
        }
        switch rule {
        case .acceptEstablished:
            try add("established", NftExpression.establishedOrRelated + [.verdict(.accept)])
        case .acceptTrusted: try bySource(.trusted)
        case .acceptProviders: try bySource(.provider)
        case .acceptReserved: try bySource(.reserved)
        case .acceptLoopback:
            try add("loopback", NftExpression.inputInterface("lo") + [.verdict(.accept)])
        case .dropGeo where usesCountryMap(plan) && plan.policy.mode == .allowOnlySelected:
            // Sources outside the allow list go to their region's counter chain; those of no
            // region fall through to the family's counted drop.
            for family in IPAddressFamily.allCases {
                let set = PlanSet.geo.name(family)
                let map = KernelNames.countryMap(family)
                let negate = plan.geoMatch(family, for: .intervals).polarity == .sourceNotIn
                for port in Self.portList(plan) {
                    // The set lookup leaves the source address in register 1 for the map.
                    try add(
                        map,
                        NftExpression.sourceAddress(family, ports: port) + [
                            .lookup(.r1, set: set, id: setIDs[set] ?? 0, inverted: negate),
                            .verdictMap(.r1, map: map, id: setIDs[map] ?? 0),
                        ])
                    try add(
                        portComment(set, port),
                        NftExpression.sourceAddress(family, ports: port) + [
                            .lookup(.r1, set: set, id: setIDs[set] ?? 0, inverted: negate), .counter, .verdict(.drop),
                        ])
                }
            }
        case .dropGeo where usesCountryMap(plan):
            for family in IPAddressFamily.allCases {
                let map = KernelNames.countryMap(family)
                for port in Self.portList(plan) {
                    try add(map, NftExpression.sourceAddress(family, ports: port) + [.verdictMap(.r1, map: map, id: setIDs[map] ?? 0)])
                }
            }
        case .dropGeo:
            for family in IPAddressFamily.allCases {
                let name = PlanSet.geo.name(family)
                let negate = plan.geoMatch(family, for: .intervals).polarity == .sourceNotIn
                for port in Self.portList(plan) {
                    try add(
                        portComment(name, port),
                        NftExpression.sourceAddress(family, ports: port) + [
                            .lookup(.r1, set: name, id: setIDs[name] ?? 0, inverted: negate), .counter, .verdict(.drop),
                        ])
                }
            }
        }
    }

    public func status() throws(GeoFilterError) -> FirewallStatus {
        let rules = try NftSocket.with(namespace: namespace) { socket throws(GeoFilterError) in
            try socket.tableComment(names.table) == nil ? nil : try socket.ruleCounters(table: names.table)
        }
        guard let rules else {
            return FirewallStatus(
                backend: .nftables, installed: false, digest: nil, mode: nil, countries: [], sets: [], counters: [], countryCounters: [])
        }
        let record = rules.lazy.filter { $0.chain == Self.metaChain }.compactMap { PlanRecord(parsing: $0.comment) }.first
        // Counted regions: the selected countries in block mode, every other region in
        // allow-only mode (chains a diff left unused are skipped).
        let selected = Set(record?.countries.map { RegionCode($0).code } ?? [])
        let counters = rules.filter { $0.chain != Self.metaChain && !$0.chain.hasPrefix("country-") }.map {
            FirewallStatus.Counter(chain: $0.chain, rule: $0.comment, packets: $0.packets, bytes: $0.bytes)
        }
        let block = record?.mode != .allowOnlySelected
        let countryCounters = rules.filter { $0.chain.hasPrefix("country-") && selected.contains($0.comment) == block }.map {
            FirewallStatus.CountryCounter(country: $0.comment, packets: $0.packets, bytes: $0.bytes)
        }.sorted { $0.country < $1.country }
        return FirewallStatus(
            backend: .nftables, installed: true, digest: record?.digest, mode: record?.mode,
            countries: record?.countries.map(\.alpha2) ?? [], sets: record?.sets ?? [], counters: counters,
            countryCounters: countryCounters)
    }

    public func remove() throws(GeoFilterError) -> Bool {
        try applyLock.withLock(backend: .nftables, namespace: namespace) { () throws(GeoFilterError) -> Bool in
            try NftSocket.with(namespace: namespace) { socket throws(GeoFilterError) in
                let existed = try socket.tableComment(names.table) != nil
                // Create-if-absent then delete: idempotent, in one transaction.
                try socket.begin()
                try socket.addTable(names.table, comment: nil)
                try socket.deleteTable(names.table)
                try socket.commit()
                return existed
            }
        }
    }
}

/// The plan this backend applied last (shared by copies of the backend value).
final class LastAppliedPlan: Sendable {
    private let storage = Mutex<FirewallPlan?>(nil)

    var plan: FirewallPlan? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

/// The exact element changes of a per-country verdict map: entries (a range and its country)
/// only in the old map are removed, entries only in the new map added.
struct MapChanges {
    var removed: [UInt8] = []
    var removedCount = 0
    var added: [UInt8] = []
    var addedRegions: [RegionCode] = []

    /// Compares two entry lists, each sorted by address: `width` bytes of bounds per entry.
    init(from old: (bounds: [UInt8], regions: [RegionCode]), to new: (bounds: [UInt8], regions: [RegionCode]), width: Int) {
        var i = 0
        var j = 0
        func chunk(_ bytes: [UInt8], _ index: Int) -> ArraySlice<UInt8> { bytes[index * width..<(index + 1) * width] }
        while i < old.regions.count || j < new.regions.count {
            if i < old.regions.count, j < new.regions.count, chunk(old.bounds, i) == chunk(new.bounds, j),
                old.regions[i] == new.regions[j]
            {
                i += 1
                j += 1
            } else if j == new.regions.count
                || (i < old.regions.count && !chunk(new.bounds, j).lexicographicallyPrecedes(chunk(old.bounds, i)))
            {
                removed += chunk(old.bounds, i)
                removedCount += 1
                i += 1
            } else {
                added += chunk(new.bounds, j)
                addedRegions.append(new.regions[j])
                j += 1
            }
        }
    }
}
