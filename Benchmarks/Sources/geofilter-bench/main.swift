// geofilter-bench: in-process figures for GeoDatabase (build, snapshot load, lookups, memory),
// each next to a plain baseline run in the same process on the same data.
//
// Usage: geofilter-bench [GEOIP GEOIP6]   (defaults: /usr/share/tor/geoip, geoip6)
import Foundation
import GeoFilterBundledData
import GeoFilterCore

let geoip = CommandLine.arguments.count > 2 ? CommandLine.arguments[1] : "/usr/share/tor/geoip"
let geoip6 = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : "/usr/share/tor/geoip6"

/// Seconds taken by `body`, best of `rounds`.
func best<T>(_ rounds: Int, _ body: () throws -> T) rethrows -> (Double, T) {
    var fastest = Double.infinity
    var result: T?
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        result = try body()
        let elapsed = ContinuousClock.now - start
        fastest = min(fastest, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    return (fastest, result!)
}

/// Resident memory of this process in MB (VmRSS).
func residentMB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return (Double(line.split(separator: " ")[1]) ?? 0) / 1024
}

func verdict(_ ok: Bool) -> String { ok ? "ok" : "OVER" }

/// A straightforward reference: rows in sorted arrays, plain binary search (what a simple
/// implementation of the same lookup does), read with Foundation string splitting.
struct Baseline<V: FixedWidthInteger> {
    var lows: [V] = []
    var highs: [V] = []
    var codes: [UInt16] = []
    @inline(never)
    func code(of value: V) -> UInt16? {
        var lower = 0
        var upper = lows.count
        while lower < upper {
            let middle = (lower + upper) / 2
            if lows[middle] <= value { lower = middle + 1 } else { upper = middle }
        }
        return lower > 0 && value <= highs[lower - 1] ? codes[lower - 1] : nil
    }
}

print("GeoDatabase benchmark (release, single thread), data: \(geoip), \(geoip6)")
let rssBefore = residentMB()

// Snapshot load.
GeoFilterBundledData.register()
let (loadSeconds, bundled) = try best(5) { try GeoDatabase.load(.bundled) }
print(String(format: "load bundled snapshot (%d + %d segments): %.0f ms; bar < 150 ms: %@",
    bundled.segmentCount(.ipv4), bundled.segmentCount(.ipv6), loadSeconds * 1000, verdict(loadSeconds < 0.15)))
print(String(format: "resident memory: %.0f MB before, %.0f MB with the bundled database loaded (%.0f MB for it)",
    rssBefore, residentMB(), residentMB() - rssBefore))

// Compile "block all but US CA GB DE FR NL" from the bundled data.
let blockAllBut = try GeoPolicy(
    mode: .blockSelected, countries: "@AF,@AN,@AS,@EU,@NA,@OC,@SA,-US,-CA,-GB,-DE,-FR,-NL",
    trusted: ["10.0.0.0/8"], providers: ["81.2.69.0/24"])
let (compileSeconds, plan) = try best(5) { try FirewallPlan(policy: blockAllBut, database: bundled) }
let (renderSeconds, _) = best(3) { (plan.nftScript().utf8.count, plan.ipsetScript().utf8.count) }
print(String(format: "compile 'block all but US CA GB DE FR NL' (%d countries) from the bundled data: %.0f ms; bar < 300 ms: %@",
    plan.countries.count, compileSeconds * 1000, verdict(compileSeconds < 0.3)))
for family in IPAddressFamily.allCases {
    let nft = plan.geoMatch(family, for: .intervals)
    let ipset = plan.geoMatch(family, for: .prefixes)
    print("  \(family): nftables \(nft.set.rangeCount(family)) intervals (\(nft.isComplement ? "complement" : "selected") set), ipset \(ipset.set.networkCount(family)) networks (\(ipset.isComplement ? "complement" : "selected") set)")
}
print(String(format: "  rendering the nft and ipset scripts: %.0f ms", renderSeconds * 1000))

// Build from the Tor files (662k rows).
let (buildSeconds, database) = try best(3) { try GeoDatabase.load(.ipfire(ipv4: geoip, ipv6: geoip6)) }
let (baselineBuildSeconds, baseline4) = try best(3) { () throws -> Baseline<UInt32> in
    var table = Baseline<UInt32>()
    for line in try String(contentsOfFile: geoip, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
        let fields = line.split(separator: ",")
        table.lows.append(UInt32(fields[0])!)
        table.highs.append(UInt32(fields[1])!)
        table.codes.append(UInt16(fields[2].utf8.first!) << 8 | UInt16(fields[2].utf8.last!))
    }
    return table
}
print(String(format: "build from Tor files (%d rows): ours %.0f ms; baseline (IPv4 only, split into arrays) %.0f ms; ratio %.2fx; bar < 1000 ms: %@",
    database.report.rows, buildSeconds * 1000, baselineBuildSeconds * 1000, buildSeconds / baselineBuildSeconds, verdict(buildSeconds < 1)))

// Lookups: random addresses generated up front.
var rng = SystemRandomNumberGenerator()
let count = 10_000_000
let v4 = (0..<count).map { _ in IPv4Address(UInt32.random(in: 0...UInt32.max, using: &rng)) }
// IPv6: uniform in 2000::/3 (global unicast, where all the data is), like IPv4's uniform
// addresses; the diagnostics below add the worst case, every range of the data equally likely.
let v6 = (0..<count).map { _ in IPv6Address(UInt128(0x2000) << 112 | (UInt128(rng.next()) << 64 | UInt128(rng.next())) >> 3) }
let ranges6 = database.regions.flatMap { database.addresses(of: $0).ipv6Ranges }
let inData6 = (0..<count / 2).map { _ -> IPv6Address in
    let random = UInt128(rng.next()) << 64 | UInt128(rng.next())
    let range = ranges6[Int.random(in: 0..<ranges6.count, using: &rng)]
    let span = range.last.value - range.first.value
    return IPv6Address(range.first.value + (span == .max ? random : random % (span + 1)))
}

@MainActor func lookups4() -> Int {
    var found = 0
    for address in v4 where database.region(of: address) != nil { found &+= 1 }
    return found
}
@MainActor func baselineLookups4() -> Int {
    var found = 0
    for address in v4 where baseline4.code(of: address.value) != nil { found &+= 1 }
    return found
}
@MainActor func lookups6() -> Int {
    var found = 0
    for address in v6 where database.region(of: address) != nil { found &+= 1 }
    return found
}

let (seconds4, found4) = best(3, lookups4)
let (baselineSeconds4, baselineFound4) = best(3, baselineLookups4)
let (seconds6, found6) = best(3, lookups6)
precondition(found4 == baselineFound4, "ours and the baseline disagree")
let rate4 = Double(count) / seconds4 / 1e6
let rate6 = Double(count) / seconds6 / 1e6
print(String(format: "IPv4 lookups: ours %.1f M/s, baseline binary search %.1f M/s, ratio %.2fx faster; bar >= 20 M/s: %@ (%d found)",
    rate4, Double(count) / baselineSeconds4 / 1e6, baselineSeconds4 / seconds4, verdict(rate4 >= 20), found4))
print(String(format: "IPv6 lookups (uniform in 2000::/3): ours %.1f M/s; bar >= 10 M/s: %@ (%d found)", rate6, verdict(rate6 >= 10), found6))

// Worst case: an address in a random range of the data (tiny ranges in dense prefixes count
// as much as a /12, so nearly every lookup walks the deepest part of the index).
@MainActor func run6(_ list: [IPv6Address]) -> Int {
    var found = 0
    for address in list where database.region(of: address) != nil { found &+= 1 }
    return found
}
let (inDataSeconds, inDataFound) = best(3) { run6(inData6) }
let sortedInData6 = inData6.sorted()
let (sortedSeconds, _) = best(3) { run6(sortedInData6) }
print(String(format: "  IPv6 worst case, an address in a random range of the data: %.1f M/s (%d found); the same addresses sorted: %.1f M/s (the difference is memory latency)",
    Double(inData6.count) / inDataSeconds / 1e6, inDataFound, Double(sortedInData6.count) / sortedSeconds / 1e6))

// Applying the compiled "block all but six" plan through netlink, next to `nft -f` loading the
// same ruleset, each into a fresh network namespace (needs root; skipped otherwise).
@MainActor func runTool(_ arguments: [String]) -> Double {
    let start = ContinuousClock.now
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    try! process.run()
    process.waitUntilExit()
    precondition(process.terminationStatus == 0, "\(arguments.joined(separator: " ")) failed")
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

if getuid() == 0 {
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("geofilter-bench.nft").path
    try plan.nftScript().write(toFile: script, atomically: true, encoding: .utf8)
    var nftTimes: [Double] = []
    var ourTimes: [Double] = []
    for round in 0..<5 {
        let namespace = "gfbench-\(round)"
        _ = runTool(["/usr/sbin/ip", "netns", "add", namespace])
        nftTimes.append(runTool(["/usr/sbin/ip", "netns", "exec", namespace, "/usr/sbin/nft", "-f", script]))
        _ = runTool(["/usr/sbin/ip", "netns", "exec", namespace, "/usr/sbin/nft", "delete", "table", "inet", "geofilter"])
        let backend = NftablesBackend(namespace: .named(namespace))
        let (seconds, _) = try best(1) { try backend.apply(plan) }
        ourTimes.append(seconds)
        _ = runTool(["/usr/sbin/ip", "netns", "delete", namespace])
    }
    let nftMedian = nftTimes.sorted()[2]
    let ourMedian = ourTimes.sorted()[2]
    let mapElements = IPAddressFamily.allCases.map { family in
        NftablesBackend().countryCounters && plan.policy.enabled ? plan.countryRangeCount(family) : plan.geoMatch(family, for: .intervals).set.rangeCount(family)
    }
    print(String(format: "apply 'block all but six' (%d + %d map elements, per-country counters): nft -f %.0f ms, ours (netlink batch, in process) %.0f ms, ratio %.2fx; bar <= 0.5x: %@",
        mapElements[0], mapElements[1],
        nftMedian * 1000, ourMedian * 1000, ourMedian / nftMedian, verdict(ourMedian / nftMedian <= 0.5)))

    // A change touching about 1% of the elements (unblocking the smallest countries until 1%
    // of the ranges change), applied as an element diff and as a full replacement.
    let total = mapElements[0] + mapElements[1]
    var unblocked: [Country] = []
    var changed = 0
    for country in plan.countries.sorted(by: { bundled.addresses(of: $0).rangeCount(.ipv4) < bundled.addresses(of: $1).rangeCount(.ipv4) }) {
        let size = bundled.addresses(of: country).rangeCount(.ipv4) + bundled.addresses(of: country).rangeCount(.ipv6)
        if changed + size > total / 100 { continue }
        unblocked.append(country)
        changed += size
    }
    var smallerPolicy = blockAllBut
    smallerPolicy.selections = plan.countries.filter { !unblocked.contains($0) }.map { CountrySelection(.country($0)) }
    let smaller = try FirewallPlan(policy: smallerPolicy, database: bundled)
    var diffTimes: [Double] = []
    var fullTimes: [Double] = []
    var diffElements = 0
    for round in 0..<5 {
        let namespace = "gfdiff-\(round)"
        _ = runTool(["/usr/sbin/ip", "netns", "add", namespace])
        let diffing = NftablesBackend(namespace: .named(namespace))
        _ = try diffing.apply(plan)
        let (diffSeconds, outcome) = try best(1) { try diffing.apply(smaller) }
        if case .updated(_, let removed, let added) = outcome { diffElements = removed + added } else { fatalError("expected a diff, got \(outcome)") }
        diffTimes.append(diffSeconds)
        let replacing = NftablesBackend(namespace: .named(namespace), useElementDiff: false)
        let (fullSeconds, _) = try best(1) { try replacing.apply(plan) }
        fullTimes.append(fullSeconds)
        _ = runTool(["/usr/sbin/ip", "netns", "delete", namespace])
    }
    let diffMedian = diffTimes.sorted()[2]
    let fullMedian = fullTimes.sorted()[2]
    print(String(format: "1%% change (%d countries unblocked, %d of %d elements changed): element diff %.0f ms, full apply %.0f ms, ratio %.3fx; bar <= 0.1x: %@",
        unblocked.count, diffElements, total, diffMedian * 1000, fullMedian * 1000, diffMedian / fullMedian, verdict(diffMedian / fullMedian <= 0.1)))
} else {
    print("apply benchmark skipped: needs root for network namespaces")
}
