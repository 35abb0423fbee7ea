import ArgumentParser
import Foundation
import GeoFilterCore

/// `--backend nftables|ipset`, `--netns NAME` and `--ipset-reduce PERCENT`, shared by apply,
/// status and remove.
struct BackendOptions: ParsableArguments {
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case nftables
        case ipset
    }

    @Option(name: .long, help: "The kernel backend: nftables (libnftnl) or ipset (libipset sets and iptables rules).")
    var backend: Kind

    @Option(name: .long, help: ArgumentHelp("Work in this network namespace (as `ip netns` names it).", valueName: "NAME"))
    var netns: String?

    @Option(
        name: .customLong("ipset-reduce"),
        help: ArgumentHelp(
            "ipset: allow this many percent more entries for fewer distinct prefix lengths (faster lookups; iprange --ipset-reduce).",
            valueName: "PERCENT"))
    var ipsetReduce: Int?

    @Option(
        name: .customLong("ipset-reduce-entries"),
        help: ArgumentHelp("ipset: with --ipset-reduce, the entry count a set may always grow to.", valueName: "N"))
    var ipsetReduceEntries = PrefixReduction.standard.entryAllowance

    var namespace: NetworkNamespace { netns.map { .named($0) } ?? .current }

    func make() -> any FirewallBackend {
        Self.make(backend, namespace: namespace, prefixReduction: ipsetReduce.map { PrefixReduction(maximumGrowthPercent: $0, entryAllowance: ipsetReduceEntries) })
    }

    static func make(_ kind: Kind, namespace: NetworkNamespace, prefixReduction: PrefixReduction?) -> any FirewallBackend {
        switch kind {
        case .nftables: NftablesBackend(namespace: namespace)
        case .ipset: IPSetBackend(namespace: namespace, prefixReduction: prefixReduction)
        }
    }

    /// The backend behind an ``Enforcer`` (lock, runtime records, commit-confirm).
    func enforcer() -> Enforcer {
        Enforcer(backend: make(), backendName: backend.rawValue, namespace: namespace, runtimeDirectory: Self.runtimeDirectory)
    }

    /// Settings stored with the state, so `restore` applies it the same way.
    var settings: [String: String] {
        guard backend == .ipset, let ipsetReduce else { return [:] }
        return ["ipset-reduce": "\(ipsetReduce)", "ipset-reduce-entries": "\(ipsetReduceEntries)"]
    }

    /// The same options as arguments (for the watchdog and the confirm hint).
    var arguments: [String] {
        var arguments = ["--backend", backend.rawValue]
        if let netns { arguments += ["--netns", netns] }
        if let ipsetReduce { arguments += ["--ipset-reduce", "\(ipsetReduce)", "--ipset-reduce-entries", "\(ipsetReduceEntries)"] }
        return arguments
    }

    /// `/run/geofilter`, or `GEOFILTER_RUNTIME_DIRECTORY` (tests).
    static var runtimeDirectory: String {
        ProcessInfo.processInfo.environment["GEOFILTER_RUNTIME_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 } ?? Enforcer.standardRuntimeDirectory
    }
}

extension GeoFilterDemo {
    /// `apply POLICY [--source SPEC] --backend nftables|ipset [--state DIR] [--keep ADDR]...
    /// [--peers FILE] [--force] [--confirm-within SECONDS]`.
    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compile a policy and enforce it in the kernel, atomically.",
            discussion: """
                Re-applying the same plan changes nothing. A failed apply leaves the previous plan in force. \
                Before anything changes, the plan is checked against the addresses that must keep working: \
                --keep addresses, the client of your SSH session (SSH_CONNECTION) and --peers; a plan that \
                would drop one of them is refused (they are listed) unless --force. With --confirm-within, \
                the previous plan comes back by itself unless `geofilter-demo confirm` runs in time, even if \
                this process is killed.
                """)

        @OptionGroup var policyOptions: PolicyOptions
        @OptionGroup var data: SourceOptions
        @OptionGroup var backendOptions: BackendOptions

        @Option(name: .long, help: ArgumentHelp("Store what `restore` needs to enforce this plan again at boot (no download, no recompilation).", valueName: "DIR"))
        var state: String?

        @Option(name: .long, help: ArgumentHelp("An address that must keep working (repeatable); a plan that drops it is refused.", valueName: "ADDR"))
        var keep: [String] = []

        @Option(name: .long, help: ArgumentHelp("A file of peer addresses that must keep working (one per line, then an optional label).", valueName: "FILE"))
        var peers: String?

        @Option(
            name: .customLong("confirm-within"),
            help: ArgumentHelp("Put the previous plan back unless `geofilter-demo confirm` runs within this many seconds.", valueName: "SECONDS"))
        var confirmWithin: Int?

        @Flag(
            name: .customLong("no-conntrack-purge"),
            help: "Keep the connection-tracking entries of flows the new plan drops (by default they are deleted, so floods already in progress stop at their next packet).")
        var noConntrackPurge = false

        func validate() throws {
            if let confirmWithin, !(1...86_400).contains(confirmWithin) {
                throw ValidationError("--confirm-within takes 1 to 86400 seconds.")
            }
        }

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let plan = try FirewallPlan(policy: policyOptions.policy(), database: data.load(), allowBroadExemptions: policyOptions.force)
                policyOptions.warn(about: plan)
                try checkLockout(plan)
                var enforcer = backendOptions.enforcer()
                enforcer.purgeConnections = !noConntrackPurge
                let probe = enforcer.backend.probe()
                guard probe.available else { throw GeoFilterError(.unsupported, "\(backendOptions.backend.rawValue) unavailable: \(probe.message)") }
                let watchdogArguments = ["confirm-watchdog"] + backendOptions.arguments
                let log = enforcer.watchdogLog
                let report = try enforcer.apply(
                    plan, allowBroadExemptions: policyOptions.force, backendSettings: backendOptions.settings,
                    state: state.map(EnforcementStateStore.init(directory:)), confirmWithin: confirmWithin.map { .seconds($0) }
                ) { (pending: PendingConfirmation) throws(GeoFilterError) in
                    try ConfirmWatchdog.launch(executable: ConfirmWatchdog.currentExecutable(), arguments: watchdogArguments + ["--id", pending.id], log: log)
                }
                for note in report.notes { try FileOutput.standardError.write("geofilter-demo: note: \(note)\n") }
                var text: String
                switch report.outcome {
                case .applied(let digest): text = "applied sha256:\(digest)\n"
                case .unchanged(let digest): text = "unchanged sha256:\(digest) (already enforced)\n"
                case .updated(let digest, let removed, let added): text = "updated sha256:\(digest) (\(removed) elements removed, \(added) added)\n"
                }
                if let purge = report.purge { text += "\(purge)\n" }
                if let pending = report.pending {
                    let back = pending.previousDigest.map { "sha256:\($0) comes back" } ?? "GeoFilter's rules are removed"
                    let command = (["geofilter-demo", "confirm"] + backendOptions.arguments).joined(separator: " ")
                    text += "confirm within \(confirmWithin ?? 0) seconds with `\(command)`; otherwise \(back)\n"
                }
                try FileOutput.standardOutput.write(text)
            }
        }

        /// Refuses a plan that would drop an address that must keep working, unless --force.
        private func checkLockout(_ plan: FirewallPlan) throws(GeoFilterError) {
            var protected: [ProtectedAddress] = []
            for text in keep {
                do throws(IPAddressParseError) {
                    protected.append(ProtectedAddress(address: try IPAddress(parsing: text), origin: .kept))
                } catch {
                    throw GeoFilterError(.invalidInput, "--keep \(error)")
                }
            }
            if let session = ProtectedAddress.sshClient(ProcessInfo.processInfo.environment["SSH_CONNECTION"]) { protected.append(session) }
            for peer in try peers.map(PeerFile.read) ?? [] { protected.append(ProtectedAddress(address: peer.address, origin: .peer(label: peer.label))) }
            let risks = plan.lockoutCheck(keeping: protected)
            guard !risks.isEmpty else { return }
            if policyOptions.force {
                try FileOutput.standardError.write(
                    risks.map { "geofilter-demo: warning: --force: cut off\t\($0)\n" }.joined())
                return
            }
            try FileOutput.standardError.write(risks.map { "cut off\t\($0)\n" }.joined())
            let count = risks.count == 1 ? "1 address" : "\(risks.count) addresses"
            throw GeoFilterError(
                .invalidInput, "the plan would cut off \(count) that must keep working (listed above); nothing was applied (use --force to apply it anyway)")
        }
    }

    /// `status --backend nftables|ipset [--json]`.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the plan the kernel enforces and its counters.")

        @OptionGroup var backendOptions: BackendOptions

        @Flag(name: .long, help: "Print a JSON object (digest, mode, countries, sets, counters).")
        var json = false

        /// What is not in order: an interrupted apply, damage, leftovers (nothing when enforced and tidy).
        static func stateLines(_ status: FirewallStatus) -> [String] {
            var lines: [String] = []
            if status.state != .enforced {
                let families = status.familyDigests.sorted { $0.key < $1.key }.map { "\($0.key) sha256:\($0.value)" }
                lines.append("state:     \(status.state)" + (families.isEmpty ? "" : " (enforced: \(families.joined(separator: ", ")))"))
            }
            if let pending = status.pendingDigest { lines.append("interrupted: sha256:\(pending) (an apply was interrupted; apply again)") }
            lines += status.problems.map { "problem:   \($0)" }
            if !status.leftovers.isEmpty { lines.append("leftovers: \(status.leftovers.joined(separator: " ")) (the next apply removes them)") }
            return lines
        }

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let enforcer = backendOptions.enforcer()
                let status = try enforcer.backend.status()
                let pending = enforcer.pendingConfirmation()
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    let data: Data
                    let applied = enforcer.enforcedSummary().flatMap { $0.digest == status.digest ? $0 : nil }
                    do { data = try encoder.encode(StatusReport(status: status, pending: pending, applied: applied)) } catch {
                        throw GeoFilterError(.file, "cannot encode JSON: \(error)")
                    }
                    try FileOutput.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
                    return
                }
                guard status.installed else {
                    let lines = ["no GeoFilter plan is installed (\(status.backend))"] + Self.stateLines(status)
                    try FileOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
                    return
                }
                var lines = [
                    "backend:   \(status.backend)",
                    "digest:    sha256:\(status.digest ?? "unknown")",
                    "mode:      \(status.mode.map { $0 == .blockSelected ? "block" : "allow-only" } ?? "unknown")",
                    "countries: \(status.countries.count): \(status.countries.joined(separator: " "))",
                    "sets:      " + status.sets.map { "\($0.name) \($0.elements)" }.joined(separator: ", "),
                ]
                if let applied = enforcer.enforcedSummary(), applied.digest == status.digest {
                    lines.append("applied:   \(StatusReport.time(applied.appliedAt)) (\(StatusReport.age(applied.appliedAt)) ago)")
                    let age = applied.dataGeneratedAt.map { "\(StatusReport.age($0)) old" } ?? "undated"
                    let stale = StatusReport.isStale(applied) ? "; stale: update it (geofilter-demo update)" : ""
                    lines.append("data:      \(applied.data), \(age)\(stale)")
                }
                lines.append("dropped:   \(status.droppedPackets) packets, \(status.droppedBytes) bytes")
                lines += status.counters.map { "  \($0.chain) \($0.rule): \($0.packets) packets, \($0.bytes) bytes" }
                lines += status.countryCounters.map { "  country \($0.country): \($0.packets) packets, \($0.bytes) bytes" }
                if let pending {
                    let back = pending.previousDigest.map { "sha256:\($0) comes back" } ?? "GeoFilter's rules are removed"
                    lines.append(
                        "pending:   sha256:\(pending.digest) unconfirmed, \(Int(pending.secondsLeft.rounded(.up))) s left; then \(back) (geofilter-demo confirm \(backendOptions.arguments.joined(separator: " ")))")
                }
                lines += Self.stateLines(status)
                try FileOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
            }
        }
    }

    /// `status --json`: the backend's status, plus `pendingConfirmation` while a plan applied
    /// with --confirm-within waits for `confirm`.
    struct StatusReport: Encodable {
        var status: FirewallStatus
        var pending: PendingConfirmation?
        var applied: EnforcementStateStore.Summary?

        /// Data older than this is called stale (as `info` does by default).
        static let maximumDataAge: Int64 = 90 * 86_400

        private enum Keys: String, CodingKey { case pendingConfirmation, appliedAt, data }

        private struct DataReport: Encodable {
            var description: String
            var generatedAt: String?
            var ageDays: Int64?
            var stale: Bool
        }

        func encode(to encoder: any Encoder) throws {
            try status.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            if let pending { try container.encode(pending, forKey: .pendingConfirmation) }
            if let applied {
                try container.encode(Self.time(applied.appliedAt), forKey: .appliedAt)
                try container.encode(
                    DataReport(
                        description: applied.data, generatedAt: applied.dataGeneratedAt.map(Self.time),
                        ageDays: applied.dataGeneratedAt.map { (Self.now - $0) / 86_400 }, stale: Self.isStale(applied)),
                    forKey: .data)
            }
        }

        static var now: Int64 { Int64(Date().timeIntervalSince1970) }

        static func isStale(_ applied: EnforcementStateStore.Summary) -> Bool {
            guard let generated = applied.dataGeneratedAt else { return true }
            return now - generated > maximumDataAge
        }

        /// `2026-11-28T01:02:03Z`.
        static func time(_ seconds: Int64) -> String {
            let formatter = ISO8601DateFormatter()
            return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        }

        /// `3 days`, `5 hours`, `12 minutes`, `40 seconds`.
        static func age(_ seconds: Int64) -> String {
            let elapsed = max(0, now - seconds)
            func count(_ value: Int64, _ unit: String) -> String { "\(value) \(unit)\(value == 1 ? "" : "s")" }
            switch elapsed {
            case 86_400...: return count(elapsed / 86_400, "day")
            case 3600...: return count(elapsed / 3600, "hour")
            case 60...: return count(elapsed / 60, "minute")
            default: return count(elapsed, "second")
            }
        }
    }

    /// `remove --backend nftables|ipset`.
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove everything GeoFilter installed; the rest of the firewall stays.")

        @OptionGroup var backendOptions: BackendOptions

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let existed = try backendOptions.enforcer().remove()
                try FileOutput.standardOutput.write(existed ? "removed\n" : "nothing to remove\n")
            }
        }
    }
}
