import ArgumentParser
import Foundation
import GeoFilterBundledData
import GeoFilterCore

extension GeoFilterDemo {
    /// `restore --state DIR [--backend nftables|ipset]`: enforce the stored plan again (at boot).
    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enforce the plan stored by `apply --state DIR` again, with no download and no recompilation from sources.",
            discussion: """
                Compiles the stored policy against the stored data snapshot (the same digest as when it was \
                stored) and applies it. When the stored data or the state file is missing or corrupt, says so \
                and falls back to the stored policy with the bundled data. Meant for boot, before the network \
                comes up (Packaging/systemd/geofilter-restore.service).
                """)

        @Option(name: .long, help: ArgumentHelp("The state directory that `apply --state` wrote.", valueName: "DIR"))
        var state: String

        @Option(name: .long, help: "The kernel backend (default: the one stored with the state).")
        var backend: BackendOptions.Kind?

        @Option(name: .long, help: ArgumentHelp("Work in this network namespace (as `ip netns` names it).", valueName: "NAME"))
        var netns: String?

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                GeoFilterBundledData.register()  // the fallback when the stored data is unusable
                let store = EnforcementStateStore(directory: state)
                let restorable = try store.loadForRestore()
                if let fallback = restorable.fallback { try FileOutput.standardError.write("geofilter-demo: warning: \(fallback)\n") }
                var kind = backend ?? restorable.backend.flatMap(BackendOptions.Kind.init(rawValue:))
                if kind == nil {
                    try FileOutput.standardError.write("geofilter-demo: warning: the stored backend is unknown; using nftables (name one with --backend)\n")
                    kind = .nftables
                }
                let plan = try restorable.plan()
                if let stored = restorable.storedDigest, restorable.fallback == nil, stored != plan.digest {
                    try FileOutput.standardError.write(
                        "geofilter-demo: warning: the restored plan's digest sha256:\(plan.digest) differs from the stored sha256:\(stored) (this program compiles plans differently)\n")
                }
                let arguments = ["--backend", (kind ?? .nftables).rawValue] + (netns.map { ["--netns", $0] } ?? [])
                guard var options = try? BackendOptions.parse(arguments) else {
                    throw GeoFilterError(.invalidInput, "cannot use the backend options \(arguments.joined(separator: " "))")
                }
                if kind == .ipset, let percent = restorable.backendSettings["ipset-reduce"].flatMap({ Int($0) }) {
                    options.ipsetReduce = percent
                    if let entries = restorable.backendSettings["ipset-reduce-entries"].flatMap({ Int($0) }) { options.ipsetReduceEntries = entries }
                }
                let enforcer = options.enforcer()
                let probe = enforcer.backend.probe()
                guard probe.available else { throw GeoFilterError(.unsupported, "\(options.backend.rawValue) unavailable: \(probe.message)") }
                let report = try enforcer.apply(
                    plan, allowBroadExemptions: restorable.allowBroadExemptions, backendSettings: options.settings)
                for note in report.notes { try FileOutput.standardError.write("geofilter-demo: note: \(note)\n") }
                let verb = if case .unchanged = report.outcome { "unchanged" } else { "restored" }
                try FileOutput.standardOutput.write("\(verb) sha256:\(report.outcome.digest) (\(options.backend.rawValue))\n")
            }
        }
    }

    /// `confirm --backend nftables|ipset`: keep the plan applied with --confirm-within.
    struct Confirm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep the plan applied with --confirm-within; without this the previous plan comes back by itself.",
            discussion: "With --state on the apply, the confirmed plan is stored for boot now. A second confirm says it is already confirmed.")

        @OptionGroup var backendOptions: BackendOptions

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                switch try backendOptions.enforcer().confirm() {
                case .confirmed(let digest): try FileOutput.standardOutput.write("confirmed sha256:\(digest)\n")
                case .alreadyConfirmed(let digest): try FileOutput.standardOutput.write("already confirmed sha256:\(digest)\n")
                }
            }
        }
    }

    /// `confirm-watchdog --backend ... --id ID`: started detached by `apply --confirm-within`;
    /// puts the previous plan back unless the confirmation comes in time. Not for people.
    struct ConfirmWatchdogCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "confirm-watchdog", abstract: "Internal: the watchdog of a pending confirmation.", shouldDisplay: false)

        @OptionGroup var backendOptions: BackendOptions

        @Option(name: .long, help: "The pending confirmation's id.")
        var id: String

        func run() throws {
            try reportingErrors { () throws(GeoFilterError) in
                let stamp = ISO8601DateFormatter().string(from: Date())
                try FileOutput.standardError.write("\(stamp) watchdog \(id) (pid \(getpid())): waiting\n")
                let rolledBack = try backendOptions.enforcer().watch(id: id)
                let end = ISO8601DateFormatter().string(from: Date())
                try FileOutput.standardError.write("\(end) watchdog \(id): \(rolledBack ? "not confirmed in time: rolled back" : "confirmed, superseded or cancelled")\n")
            }
        }
    }
}
