import Foundation
import GeoFilterBundledData
import GeoFilterTestSupport
import Synchronization
import Testing

@testable import GeoFilterCore

// Fault injection against the real kernel: `geofilter-demo apply` killed (SIGKILL) at random
// points of its kernel work, two applies at once. After each: real packets from an address
// both plans block must be dropped (no fail-open), `status` must name the plan the packets
// show (no wrong status), and the next apply must recover (right digest, no leftovers).
//
// GEOFILTER_KILL_ROUNDS sets the number of kill rounds per backend (default 20; half of them
// change the rules, half only the sets).

/// A server namespace and a client namespace joined by a veth pair; the client's source
/// addresses come from the bundled data's countries. Names start with `gfrel-`.
struct KillLink {
    let server: String
    let client: String
    static let serverIPv4 = "10.98.0.1"
    static let serverIPv6 = "2001:db8:98::1"

    /// China (blocked by every plan here), India (blocked by the bigger plans only), US
    /// (passes every plan).
    static let cn4 = "1.0.1.1", cn6 = "240e::1", in4 = "14.139.0.1", in6 = "2405:200::1", us4 = "8.8.8.8", us6 = "2001:4860::8888"
    static let clientAddresses = [cn4, cn6, in4, in6, us4, us6]

    init() throws {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        server = "gfrel-\(suffix)-s"
        client = "gfrel-\(suffix)-c"
        let ip = "/usr/sbin/ip"
        var created: [String] = []
        do {
            for name in [server, client] {
                try Self.must(ip, ["netns", "add", name])
                created.append(name)
            }
            try Self.must(ip, ["link", "add", "gfk0", "address", "02:00:00:98:00:01", "netns", server, "type", "veth", "peer", "name", "gfk1", "address", "02:00:00:98:00:02", "netns", client])
            for (namespace, device) in [(server, "gfk0"), (client, "gfk1")] {
                try Self.must(ip, ["-n", namespace, "link", "set", "lo", "up"])
                try Self.must(ip, ["-n", namespace, "link", "set", device, "up"])
            }
            try Self.must(ip, ["-n", server, "addr", "add", "\(Self.serverIPv4)/24", "dev", "gfk0"])
            try Self.must(ip, ["-n", server, "addr", "add", "\(Self.serverIPv6)/64", "dev", "gfk0", "nodad"])
            try Self.must(ip, ["-n", client, "route", "add", "10.98.0.0/24", "dev", "gfk1"])
            try Self.must(ip, ["-n", client, "-6", "route", "add", "2001:db8:98::/64", "dev", "gfk1"])
            for address in Self.clientAddresses {
                let six = address.contains(":")
                try Self.must(ip, ["-n", client, "addr", "add", address + (six ? "/128" : "/32"), "dev", "gfk1"] + (six ? ["nodad"] : []))
                try Self.must(ip, ["-n", server] + (six ? ["-6"] : []) + ["route", "add", address, "dev", "gfk0"])
                // Fixed neighbours: no neighbour discovery, which the filter would drop.
                try Self.must(ip, ["-n", server, "neigh", "replace", address, "lladdr", "02:00:00:98:00:02", "dev", "gfk0", "nud", "permanent"])
            }
            for address in [Self.serverIPv4, Self.serverIPv6] {
                try Self.must(ip, ["-n", client, "neigh", "replace", address, "lladdr", "02:00:00:98:00:01", "dev", "gfk1", "nud", "permanent"])
            }
        } catch {
            for name in created { _ = try? Launcher.run(ip, ["netns", "delete", name]) }
            throw error
        }
    }

    private static func must(_ program: String, _ arguments: [String]) throws {
        let result = try Launcher.run(program, arguments)
        guard result.status == 0 else { throw GeoFilterTestError("\(program) \(arguments.joined(separator: " ")) failed (\(result.status))") }
    }

    func delete() {
        for name in [client, server] { _ = try? Launcher.run("/usr/sbin/ip", ["netns", "delete", name]) }
    }

    /// For each source, whether its ping is dropped: all pings at once, each its own process
    /// (an answer is certain; a missing answer is asked again with a longer wait before it
    /// counts as a drop).
    func dropped(_ sources: [String]) -> [String: Bool] {
        var result: [String: Bool] = [:]
        var pending = sources
        for timeout in [0.3, 1.0] where !pending.isEmpty {
            let started = pending.map { source -> (String, Process?) in
                let target = source.contains(":") ? Self.serverIPv6 : Self.serverIPv4
                let arguments = ["netns", "exec", client, "/usr/bin/ping", "-c", "1", "-W", "\(timeout)", "-I", source, target]
                return (source, try? Launcher.start("/usr/sbin/ip", arguments))
            }
            for (source, process) in started where process.map(waitForExit) == 0 { result[source] = false }
            pending = pending.filter { result[$0] == nil }
        }
        for source in pending { result[source] = true }
        return result
    }
}

/// Starts programs one at a time (Foundation's `Process.run` was seen to crash when threads
/// start processes at once) and waits for them without the lock.
enum Launcher {
    private static let lock = NSLock()

    static func start(_ program: String, _ arguments: [String], output: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        lock.lock()
        defer { lock.unlock() }
        try process.run()
        return process
    }

    /// Runs a program to its end; its standard output (small: a pipe's buffer) and exit status.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let pipe = Pipe()
        let process = try start(program, arguments, output: pipe)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return (waitForExit(process), String(decoding: data, as: UTF8.self))
    }
}

/// `geofilter-demo` beside the test bundle in the build folder (or GEOFILTER_DEMO).
enum DemoExecutable {
    static var path: String {
        // A copy elsewhere keeps a long run independent of rebuilds.
        if let path = ProcessInfo.processInfo.environment["GEOFILTER_DEMO"], !path.isEmpty { return path }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("geofilter-demo").path), folder.path != "/" {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("geofilter-demo").path
    }
}

/// A policy as the demo's options give it, compiled in-process too (the same digest).
struct DemoPlan: Sendable {
    let name: String
    let arguments: [String]
    let plan: FirewallPlan
    /// Whether the plan drops the India addresses (the other plan of a round does not).
    let blocksIndia: Bool

    init(_ name: String, _ mode: GeoPolicy.Mode, _ countries: String, forward: Bool = false, blocksIndia: Bool) throws {
        self.name = name
        arguments = [mode == .blockSelected ? "--block" : "--allow-only", countries] + (forward ? ["--forward"] : [])
        GeoFilterBundledData.register()
        let policy = try GeoPolicy(mode: mode, countries: countries, directions: forward ? [.input, .forward] : [.input])
        plan = try FirewallPlan(policy: policy, database: bundledDatabase.get())
        self.blocksIndia = blocksIndia
    }
}

private let bundledDatabase: Result<GeoDatabase, any Error> = Result {
    GeoFilterBundledData.register()
    return try GeoDatabase.load(.bundled)
}

/// The plans of the kill rounds: a small block plan, a bigger one with the same rules (only the
/// sets change) and an allow-only plan (the rules change too), with and without `--forward`.
let killPlans: Result<[String: DemoPlan], any Error> = Result {
    let plans = [
        try DemoPlan("small", .blockSelected, "CN,RU", blocksIndia: false),
        try DemoPlan("sets", .blockSelected, "CN,RU,IN,BR,ID,VN,IR,NG,PK", blocksIndia: true),
        try DemoPlan("allow", .allowOnlySelected, "US,CA,GB,DE,FR,NL", blocksIndia: true),
        try DemoPlan("allow-forward", .allowOnlySelected, "US,CA,GB,DE,FR,NL", forward: true, blocksIndia: true),
    ]
    return Dictionary(uniqueKeysWithValues: plans.map { ($0.name, $0) })
}

/// What `status --json` said, as far as these tests read it (keys of older versions only
/// where the newer ones are missing).
struct StatusReading {
    var digest: String?
    var state: String?
    var pendingDigest: String?
    var familyDigests: [String: String] = [:]
    var leftovers: [String] = []
    var text: String

    init(json: String) throws {
        text = json
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "status: \(json)")
        digest = object["digest"] as? String
        state = object["state"] as? String
        pendingDigest = object["pendingDigest"] as? String
        familyDigests = object["familyDigests"] as? [String: String] ?? [:]
        leftovers = object["leftovers"] as? [String] ?? []
    }
}

/// Counts of one backend's kill rounds.
struct KillTally: CustomStringConvertible {
    var rounds = 0
    var killed = 0
    var killedWithRuleChange = 0
    var completedBeforeKill = 0
    var failOpen = 0
    var wrongStatus = 0
    var failClosed = 0
    var badRecovery = 0
    var pendingSeen = 0
    var splitSeen = 0
    var findings: [String] = []

    var description: String {
        "\(rounds) rounds: \(killed) killed (\(killedWithRuleChange) with a rule change, \(killed - killedWithRuleChange) sets only), "
            + "\(completedBeforeKill) finished first; fail-open \(failOpen), wrong status \(wrongStatus), fail-closed \(failClosed), "
            + "bad recovery \(badRecovery); pending seen \(pendingSeen), families split \(splitSeen)"
    }
}

@Suite("Killed and concurrent applies never fail open (real kernel)", .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason))
struct ApplyKillTests {
    static var rounds: Int {
        ProcessInfo.processInfo.environment["GEOFILTER_KILL_ROUNDS"].flatMap { Int($0) } ?? 20
    }

    @Test("SIGKILL at random points of an apply, with and without a rule change", arguments: [BackendKind.ipset, .nftables])
    func killedApplies(_ kind: BackendKind) throws {
        let plans = try killPlans.get()
        let link = try KillLink()
        defer { link.delete() }
        let tally = try runKillRounds(kind, link: link, plans: plans, rounds: Self.rounds)
        print("kill rounds (\(kind)): \(tally)")
        for finding in tally.findings.prefix(20) { print("  \(kind): \(finding)") }
        #expect(tally.failOpen == 0 && tally.wrongStatus == 0 && tally.badRecovery == 0 && tally.failClosed == 0, "\(kind): \(tally)\n\(tally.findings.prefix(10).joined(separator: "\n"))")
        #expect(tally.killed >= tally.rounds / 2, "most kills should land during the apply: \(tally)")
    }

    @Test("Two applies started together: one plan in force, the other's leftovers never confused, the next apply clean", arguments: [BackendKind.ipset, .nftables])
    func concurrentApplies(_ kind: BackendKind) throws {
        let plans = try killPlans.get()
        let link = try KillLink()
        defer { link.delete() }
        let backend = Self.backend(kind, link.server)
        let small = plans["small"]!
        _ = try backend.apply(small.plan)
        let pairs = [("allow", "sets"), ("sets", "small"), ("allow-forward", "small"), ("allow", "allow-forward")]
        for (round, (first, second)) in pairs.enumerated() {
            let contenders = [plans[first]!, plans[second]!]
            let outcomes = Mutex<[Int32]>([])
            // In odd rounds one of the two is killed while it works.
            let victim = round % 2 == 1 ? Int.random(in: 0...1) : nil
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let arguments = ["apply"] + contenders[index].arguments + ["--backend", "\(kind)", "--netns", link.server]
                let status: Int32
                if index == victim {
                    status = (try? Self.runKilled(arguments, after: Double.random(in: 0...3))) ?? -1
                } else {
                    status = (try? Launcher.run(DemoExecutable.path, arguments).status) ?? -1
                }
                outcomes.withLock { $0.append(status) }
            }
            Self.waitForOrphans(link.server)
            let statuses = outcomes.withLock { $0 }
            let expectedSuccesses = victim == nil ? 2 : 1
            #expect(statuses.filter { $0 == 0 }.count >= expectedSuccesses, "round \(round): \(statuses)")
            let dropped = link.dropped(KillLink.clientAddresses)
            #expect(dropped[KillLink.cn4] == true && dropped[KillLink.cn6] == true, "round \(round): fail-open \(dropped)")
            #expect(dropped[KillLink.us4] == false && dropped[KillLink.us6] == false, "round \(round): fail-closed \(dropped)")
            let status = try Self.status(kind, link.server)
            let candidates = contenders + [small]
            let enforced = candidates.first { $0.plan.digest == status.digest }
            #expect(enforced != nil, "round \(round): status \(status.text)")
            if let enforced {
                #expect(dropped[KillLink.in4] == enforced.blocksIndia && dropped[KillLink.in6] == enforced.blocksIndia, "round \(round): \(dropped) vs \(enforced.name)")
            }
            // The next apply leaves exactly one plan and nothing else.
            let next = plans[round % 2 == 0 ? "small" : "sets"]!
            #expect(try backend.apply(next.plan).digest == next.plan.digest)
            let after = try Self.status(kind, link.server)
            #expect(after.digest == next.plan.digest && after.leftovers.isEmpty && (after.state ?? "enforced") == "enforced", "\(after.text)")
            if kind == .ipset { try Self.expectOnlyLiveSets(link.server, next.plan) }
        }
    }

    // MARK: Kill rounds

    /// Runs the rounds: from the plan in force, a demo apply to the round's target is killed at
    /// a random point of its kernel work, then the state is checked and recovered.
    func runKillRounds(_ kind: BackendKind, link: KillLink, plans: [String: DemoPlan], rounds: Int) throws -> KillTally {
        let backend = Self.backend(kind, link.server)
        var current = plans["small"]!
        _ = try backend.apply(current.plan)
        var tally = KillTally()
        // How long the kernel part of an apply takes, per target (measured by the recoveries).
        var window: [String: Double] = [:]
        let lockPath = try ApplyLock().lockPath(backend: kind, namespace: .named(link.server))
        for round in 0..<rounds {
            // Rounds 0, 1: small <-> allow-only; 2, 3: small <-> sets only; every other pair with --forward.
            let ruleChange = round % 4 < 2
            let other = ruleChange ? ((round / 4) % 2 == 0 ? "allow" : "allow-forward") : "sets"
            let target = current.name == "small" ? plans[other]! : plans["small"]!
            let old = current
            tally.rounds += 1
            let arguments = ["apply"] + target.arguments + ["--backend", "\(kind)", "--netns", link.server]
            // Half the kills at a random time of the kernel work; for ipset, the other half
            // just after the apply started its k-th iptables-restore (where rules change).
            let helper = kind == .ipset && round % 2 == 1 ? Int.random(in: 1...4) : nil
            let delay = helper != nil ? Double.random(in: 0...0.04) : Double.random(in: 0...(window[target.name] ?? 0.5))
            let exit = try Self.runKilled(arguments, lockPath: lockPath, afterHelper: helper, after: delay)
            Self.waitForOrphans(link.server)
            if exit == 128 + SIGKILL || exit == SIGKILL {
                tally.killed += 1
                if ruleChange { tally.killedWithRuleChange += 1 }
            } else if exit == 0 {
                tally.completedBeforeKill += 1
            } else {
                tally.findings.append("round \(round): the apply exited \(exit)")
            }

            // Packets: China is dropped by both plans; India tells which plan each family enforces.
            let dropped = link.dropped(KillLink.clientAddresses)
            let label = "round \(round) \(old.name)->\(target.name) \(helper.map { "at restore \($0) + " } ?? "")\(String(format: "%.3f", delay)) s"
            if dropped[KillLink.cn4] != true || dropped[KillLink.cn6] != true {
                tally.failOpen += 1
                tally.findings.append("\(label): FAIL-OPEN \(dropped)")
            }
            if dropped[KillLink.us4] != false || dropped[KillLink.us6] != false {
                tally.failClosed += 1
                tally.findings.append("\(label): fail-closed \(dropped)")
            }
            let status = try Self.status(kind, link.server)
            if status.state == "pending" { tally.pendingSeen += 1 }
            if let problem = Self.statusProblem(status, dropped: dropped, old: old, new: target) {
                tally.wrongStatus += 1
                tally.findings.append("\(label): WRONG STATUS \(problem): \(status.text.replacingOccurrences(of: "\n", with: " ").prefix(600))")
            }
            if status.digest == nil, status.familyDigests.count == 2, Set(status.familyDigests.values).count == 2 { tally.splitSeen += 1 }

            // Recovery: half the rounds apply the old plan again (must not claim "unchanged"
            // while it is not in force), half the new one.
            let recover = round % 3 == 2 ? old : target
            let started = ContinuousClock.now
            let outcome = try backend.apply(recover.plan)
            let elapsed = ContinuousClock.now - started
            window[recover.name] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            current = recover
            let after = link.dropped([KillLink.cn4, KillLink.cn6, KillLink.in4, KillLink.in6])
            let afterStatus = try Self.status(kind, link.server)
            var recoveryProblems: [String] = []
            if outcome.digest != recover.plan.digest { recoveryProblems.append("outcome \(outcome)") }
            if afterStatus.digest != recover.plan.digest || (afterStatus.state ?? "enforced") != "enforced" || !afterStatus.leftovers.isEmpty {
                recoveryProblems.append("status \(afterStatus.text.replacingOccurrences(of: "\n", with: " ").prefix(400))")
            }
            if after[KillLink.cn4] != true || after[KillLink.cn6] != true || after[KillLink.in4] != recover.blocksIndia
                || after[KillLink.in6] != recover.blocksIndia
            {
                recoveryProblems.append("packets \(after) for \(recover.name) (outcome \(outcome))")
            }
            if kind == .ipset, let extra = try Self.extraSets(link.server, recover.plan) { recoveryProblems.append(extra) }
            if (round + 1) % 10 == 0 {
                // Standard error is unbuffered: progress shows while a long run goes on.
                FileHandle.standardError.write(Data("kill rounds (\(kind)) so far: \(tally)\n".utf8))
            }
            if !recoveryProblems.isEmpty {
                tally.badRecovery += 1
                tally.findings.append("\(label): recovery to \(recover.name): \(recoveryProblems.joined(separator: "; "))")
                // Start the next round from a known state.
                _ = try backend.remove()
                _ = try backend.apply(recover.plan)
            }
        }
        _ = try backend.remove()
        return tally
    }

    /// Why `status` contradicts the packets (nil when it agrees): the digest it names must be the
    /// old or the new plan and predict both families' India packets; with no digest (pending,
    /// families apart) the per-family digests must.
    static func statusProblem(_ status: StatusReading, dropped: [String: Bool], old: DemoPlan, new: DemoPlan) -> String? {
        let plans = [old, new]
        let observed = ["ipv4": dropped[KillLink.in4] ?? false, "ipv6": dropped[KillLink.in6] ?? false]
        if status.state == "damaged" { return "damaged after a kill" }
        if let digest = status.digest {
            guard let plan = plans.first(where: { $0.plan.digest == digest }) else { return "digest of neither plan" }
            if observed.values.contains(where: { $0 != plan.blocksIndia }) { return "names \(plan.name) but the packets say otherwise" }
            return nil
        }
        guard status.state == "pending" else { return "no digest, not pending" }
        for (family, drop) in observed {
            guard let digest = status.familyDigests[family], let plan = plans.first(where: { $0.plan.digest == digest }) else {
                return "no plan for \(family)"
            }
            if plan.blocksIndia != drop { return "\(family) named \(plan.name) but the packets say otherwise" }
        }
        return nil
    }

    // MARK: Helpers

    static func backend(_ kind: BackendKind, _ namespace: String) -> any FirewallBackend {
        kind == .ipset ? IPSetBackend(namespace: .named(namespace)) : NftablesBackend(namespace: .named(namespace))
    }

    static func status(_ kind: BackendKind, _ namespace: String) throws -> StatusReading {
        let result = try Launcher.run(DemoExecutable.path, ["status", "--backend", "\(kind)", "--netns", namespace, "--json"])
        try #require(result.status == 0, "status failed: \(result.status)")
        return try StatusReading(json: result.output)
    }

    /// Starts the demo and kills it `delay` seconds after it took the apply lock (after
    /// `delay` from the start without a lock path), or after it started its `afterHelper`-th
    /// `iptables-restore`/`ip6tables-restore`. Returns its exit status (128 + 9, or 9 when
    /// Foundation reaped it: killed).
    static func runKilled(_ arguments: [String], lockPath: String? = nil, afterHelper: Int? = nil, after delay: Double) throws -> Int32 {
        let process = try Launcher.start(DemoExecutable.path, arguments)
        let pid = process.processIdentifier
        if let lockPath {
            // The plan is compiled before the lock is taken; the kernel work starts with it.
            let mark = "\(pid)\n"
            while process.isRunning, (try? String(contentsOfFile: lockPath, encoding: .utf8)) != mark { usleep(500) }
        }
        if let afterHelper {
            var seen: Set<String> = []
            while process.isRunning, seen.count < afterHelper {
                for child in children(of: pid) where !seen.contains(child) {
                    let command = FileManager.default.contents(atPath: "/proc/\(child)/cmdline").map { String(decoding: $0, as: UTF8.self) } ?? ""
                    if command.contains("tables-restore") { seen.insert(child) }
                }
                usleep(300)
            }
        }
        if delay > 0 { usleep(UInt32(delay * 1_000_000)) }
        kill(pid, SIGKILL)
        return waitForExit(process)
    }

    /// The pids of a process's children (every thread's).
    static func children(of pid: pid_t) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            (FileManager.default.contents(atPath: "/proc/\(pid)/task/\(task)/children").map { String(decoding: $0, as: UTF8.self) } ?? "")
                .split(separator: " ").map(String.init)
        }
    }

    /// Waits until no helper program a killed demo started (`nsenter --net=... iptables-restore`)
    /// still runs in the namespace: it finishes (or fails) on its own, atomically.
    static func waitForOrphans(_ namespace: String) {
        let marker = "/run/netns/\(namespace)"
        for _ in 0..<500 {
            let running = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.contains { entry in
                guard entry.allSatisfy(\.isNumber), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return false }
                let text = String(decoding: data, as: UTF8.self)
                return text.contains(marker) && text.contains("tables-")
            } ?? false
            if !running { return }
            usleep(10_000)
        }
    }

    /// Sets other than the meta set and the plan's live ones (nil when there are none).
    static func extraSets(_ namespace: String, _ plan: FirewallPlan) throws -> String? {
        let names = try Launcher.run("/usr/sbin/ip", ["netns", "exec", namespace, "/usr/sbin/ipset", "list", "-n"]).output
            .split(separator: "\n").map(String.init)
        let expected = plan.setRoles.count * 2 + 1
        return names.count == expected && !names.contains(where: { $0.hasSuffix("-new") }) ? nil : "sets \(names)"
    }

    static func expectOnlyLiveSets(_ namespace: String, _ plan: FirewallPlan) throws {
        let extra = try extraSets(namespace, plan)
        #expect(extra == nil, "\(extra ?? "")")
    }
}
