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

    func make() -> any FirewallBackend {
        let namespace: NetworkNamespace = netns.map { .named($0) } ?? .current
        switch backend {
        case .nftables:
            return NftablesBackend(namespace: namespace)
        case .ipset:
            let reduction = ipsetReduce.map { PrefixReduction(maximumGrowthPercent: $0, entryAllowance: ipsetReduceEntries) }
            return IPSetBackend(namespace: namespace, prefixReduction: reduction)
        }
    }
}

extension GeoFilterDemo {
    /// `apply POLICY [--source SPEC] --backend nftables|ipset`.
    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compile a policy and enforce it in the kernel, atomically.",
            discussion: "Re-applying the same plan changes nothing. A failed apply leaves the previous plan in force.")

        @OptionGroup var policyOptions: PolicyOptions
        @OptionGroup var data: SourceOptions
        @OptionGroup var backendOptions: BackendOptions

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let plan = try FirewallPlan(policy: policyOptions.policy(), database: data.load(), allowBroadExemptions: policyOptions.force)
                let backend = backendOptions.make()
                let probe = backend.probe()
                guard probe.available else { throw GeoFilterError(.unsupported, "\(backendOptions.backend.rawValue) unavailable: \(probe.message)") }
                switch try backend.apply(plan) {
                case .applied(let digest): try FileOutput.standardOutput.write("applied sha256:\(digest)\n")
                case .unchanged(let digest): try FileOutput.standardOutput.write("unchanged sha256:\(digest) (already enforced)\n")
                case .updated(let digest, let removed, let added):
                    try FileOutput.standardOutput.write("updated sha256:\(digest) (\(removed) elements removed, \(added) added)\n")
                }
            }
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
            if let pending = status.pendingDigest { lines.append("pending:   sha256:\(pending) (an apply was interrupted; apply again)") }
            lines += status.problems.map { "problem:   \($0)" }
            if !status.leftovers.isEmpty { lines.append("leftovers: \(status.leftovers.joined(separator: " ")) (the next apply removes them)") }
            return lines
        }

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let status = try backendOptions.make().status()
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                    let data: Data
                    do { data = try encoder.encode(status) } catch { throw GeoFilterError(.file, "cannot encode JSON: \(error)") }
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
                    "dropped:   \(status.droppedPackets) packets, \(status.droppedBytes) bytes",
                ]
                lines += status.counters.map { "  \($0.chain) \($0.rule): \($0.packets) packets, \($0.bytes) bytes" }
                lines += status.countryCounters.map { "  country \($0.country): \($0.packets) packets, \($0.bytes) bytes" }
                lines += Self.stateLines(status)
                try FileOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
            }
        }
    }

    /// `remove --backend nftables|ipset`.
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove everything GeoFilter installed; the rest of the firewall stays.")

        @OptionGroup var backendOptions: BackendOptions

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let existed = try backendOptions.make().remove()
                try FileOutput.standardOutput.write(existed ? "removed\n" : "nothing to remove\n")
            }
        }
    }
}
