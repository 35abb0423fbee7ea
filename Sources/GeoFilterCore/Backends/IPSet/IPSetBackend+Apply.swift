/// Counts the kernel-changing steps of an apply; for tests, stops dead before one of them, as
/// if the process were killed there (no clean-up runs).
final class ApplyStepCounter {
    let stopBefore: Int?
    private(set) var done = 0
    private(set) var names: [String] = []

    init(stopBefore: Int?) { self.stopBefore = stopBefore }

    /// Called before each kernel-changing step.
    func step(_ name: @autoclosure () -> String) throws(GeoFilterError) {
        if let stopBefore, done + 1 == stopBefore {
            throw GeoFilterError(.cancelled, "stopped before step \(stopBefore) (\(name())) as if killed", underlying: SimulatedKill())
        }
        done += 1
        names.append(name())
    }
}

/// The error of a stop ``ApplyStepCounter`` simulates: nothing may clean up after it.
struct SimulatedKill: Error {}

extension GeoFilterError {
    /// Whether this is a simulated kill, after which no clean-up may run.
    var isSimulatedKill: Bool { underlying is SimulatedKill }
}

extension IPSetBackend {
    /// The apply sequence; see `Docs/Architecture.md` ("ipset backend") for why each step keeps
    /// the complete old or the complete new plan in force in each family.
    func apply(
        _ plan: FirewallPlan, tool: IPTablesTool, session: borrowing IPSetSession, steps: ApplyStepCounter
    ) throws(GeoFilterError) -> ApplyOutcome {
        let records = try readRecords(session)
        var view = try readKernel(tool, session)
        let fingerprint = rulesFingerprint(plan)
        let figures = setFigures(plan)

        // 1. "Unchanged" only when the kernel holds exactly the recorded plan.
        if let record = records.record, record.digest == plan.digest, record.extras["r"] == fingerprint, record.sets == figures,
            record.extras["k"] != nil, problems(record, in: view).isEmpty
        {
            // Tidy what an interrupted apply left (nothing of it is referenced) and its marker.
            try removeLeftovers(view, tool: tool, session: session, steps: steps)
            if records.pending != nil {
                try steps.step("clear the pending marker")
                try writeRecords(IPSetRecords(record: record, pending: nil), token: Self.newGeneration(avoiding: view), session: session)
            }
            return .unchanged(digest: plan.digest)
        }

        // 2. Leftovers of killed applies go first: unreferenced, so removing them changes nothing.
        if try removeLeftovers(view, tool: tool, session: session, steps: steps) { view = try readKernel(tool, session) }

        let generation = Self.newGeneration(avoiding: view)
        // The filter tables that did not exist before our first apply, to delete on remove.
        let createdTables =
            records.record?.extras["f"] ?? records.pending?.extras["f"]
            ?? IPAddressFamily.allCases.filter { view.tables[$0]?.hasFilterTable != true }.map { $0 == .ipv4 ? "4" : "6" }.joined()
        var record = PlanRecord(plan: plan, sets: figures)
        record.extras = ["r": fingerprint, "f": createdTables.isEmpty ? "-" : createdTables, "g": generation, "k": "000000000000"]
        guard record.text.utf8.count <= 255 else {
            throw GeoFilterError(.limitExceeded, "the plan record is \(record.text.utf8.count) bytes, over ipset's 255 for a comment")
        }
        record.extras["k"] = nil

        // 3. The pending marker, before anything that matters changes (the old record stays).
        try steps.step("mark \(plan.digest.prefix(12)) pending")
        try writeRecords(IPSetRecords(record: records.record, pending: record), token: generation, session: session)

        /// Puts the old state back after a failure: the marker cleared, the new sets gone.
        func abandon(_ made: [String]) {
            for name in made { _ = try? session.destroy(name) }
            _ = try? writeRecords(IPSetRecords(record: records.record, pending: nil), token: generation, session: session)
        }

        // 4. The new generation's sets, filled completely while nothing references them.
        var made: [String] = []
        do throws(GeoFilterError) {
            for role in plan.setRoles {
                for family in IPAddressFamily.allCases {
                    let name = setName(role, family, generation: generation)
                    let entries = plan.hashNetEntries(role, family, reduction: prefixReduction)
                    let sizing = FirewallPlan.ipsetSizing(entries.count)
                    let faulty = injectFillFault && role == .geo && family == .ipv4
                    try steps.step("fill \(name)")
                    try session.create(
                        name, family: family, hashSize: sizing.hashSize, maxElements: faulty ? max(1, entries.count / 2) : sizing.maxElements)
                    made.append(name)
                    try session.add(name, entries)
                }
            }
        } catch {
            if !error.isSimulatedKill { abandon(made) }
            throw error
        }

        // 5. Per family, one commit: the new chain with all its rules, the dispatcher pointed
        //    at it, the jumps for the plan's directions.
        var switched: [IPAddressFamily] = []
        do throws(GeoFilterError) {
            for family in IPAddressFamily.allCases {
                try steps.step("switch \(family)")
                try tool.restore(family, switchScript(plan, family, generation: generation, before: view.tables[family]))
                switched.append(family)
            }
        } catch {
            if !error.isSimulatedKill {
                for family in switched.reversed() {
                    _ = try? tool.restore(family, switchBackScript(plan, generation: generation, before: view.tables[family]))
                }
                abandon(made)
            }
            throw error
        }

        // 6. Read back: both families must now be on the new generation; its fingerprint goes
        //    into the record.
        view = try readKernel(tool, session)
        let installed = problems(record, in: view)
        guard installed.isEmpty else {
            throw GeoFilterError(.kernel, "the new rules are not in force as applied: \(installed.joined(separator: "; ")); the next apply repairs")
        }
        record.extras["k"] = kernelFingerprint(view, generation: generation)

        // 7. The old generation (chains and sets nothing references now), then the record,
        //    which clears the marker last.
        try removeLeftovers(view, tool: tool, session: session, steps: steps)
        try steps.step("write the record")
        try writeRecords(IPSetRecords(record: record, pending: nil), token: generation, session: session)
        return .applied(digest: plan.digest)
    }

    /// Removes every generation chain no dispatcher jumps to, then every set of ours no live
    /// generation uses (meta temporaries included). Returns whether it removed anything.
    @discardableResult
    func removeLeftovers(
        _ view: IPSetKernelView, tool: IPTablesTool, session: borrowing IPSetSession, steps: ApplyStepCounter
    ) throws(GeoFilterError) -> Bool {
        let found = leftovers(view)
        var removed = false
        for family in IPAddressFamily.allCases {
            guard let chains = found.chains[family], !chains.isEmpty else { continue }
            try steps.step("remove chains \(chains.joined(separator: ",")) (\(family))")
            try tool.restore(family, "*filter\n" + chains.map { "-F \($0)\n-X \($0)\n" }.joined() + "COMMIT\n")
            removed = true
        }
        for name in found.sets {
            try steps.step("destroy \(name)")
            do throws(GeoFilterError) {
                try session.destroy(name)
                removed = true
            } catch where (error.underlying as? IPSetFailure)?.kind == .inUse {
                // Referenced by a rule that is not ours: left alone (status lists it).
            }
        }
        return removed
    }

    /// The `iptables-restore --noflush` input that switches one family to `generation`: the
    /// generation's chain declared (empty) and filled, the dispatcher declared (which flushes
    /// it) with its one jump to that chain, and the jumps to the dispatcher for the plan's
    /// directions added or deleted. One COMMIT: the family changes in one transaction.
    func switchScript(_ plan: FirewallPlan, _ family: IPAddressFamily, generation: String, before: IPTablesState?) -> String {
        let chain = chainName(generation: generation)
        var out = "# GeoFilter plan sha256:\(plan.digest)\n*filter\n:\(chain) - [0:0]\n"
        let rules = plan.iptablesRules(family, chain: chain) { role in
            injectSwitchFault == family && role == .geo ? "geofilter-missing-set" : setName(role, family, generation: generation)
        }
        for line in rules { out += line + "\n" }
        out += ":\(names.chain) - [0:0]\n-A \(names.chain) -j \(chain)\n"
        let existing = before?.jumps ?? []
        let hooks = Set(plan.policy.directions.map { $0 == .input ? "INPUT" : "FORWARD" })
        for hook in existing.subtracting(hooks).sorted() { out += "-D \(hook) -j \(names.chain)\n" }
        for hook in hooks.subtracting(existing).sorted() { out += "-I \(hook) 1 -j \(names.chain)\n" }
        return out + "COMMIT\n"
    }

    /// The input that undoes ``switchScript(_:_:generation:before:)`` for a family: the
    /// dispatcher's previous rules and jumps back, the new chain deleted. One COMMIT.
    func switchBackScript(_ plan: FirewallPlan, generation: String, before: IPTablesState?) -> String {
        let chain = chainName(generation: generation)
        let existing = before?.jumps ?? []
        let hooks = Set(plan.policy.directions.map { $0 == .input ? "INPUT" : "FORWARD" })
        var out = "*filter\n"
        for hook in hooks.subtracting(existing).sorted() { out += "-D \(hook) -j \(names.chain)\n" }
        if let before, before.hasChain {
            out += ":\(names.chain) - [0:0]\n" + before.chainRules.map { $0 + "\n" }.joined()
            for hook in existing.subtracting(hooks).sorted() { out += "-I \(hook) 1 -j \(names.chain)\n" }
        } else {
            out += ":\(names.chain) - [0:0]\n-X \(names.chain)\n"
        }
        return out + "-F \(chain)\n-X \(chain)\nCOMMIT\n"
    }
}
