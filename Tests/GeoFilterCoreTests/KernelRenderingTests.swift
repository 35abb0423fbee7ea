import Foundation
import GeoFilterBundledData
import Testing

@testable import GeoFilterCore

/// Plans compiled from the bundled data, big enough to be realistic.
private func bundledPlans() throws -> [FirewallPlan] {
    GeoFilterBundledData.register()
    let database = try GeoDatabase.load(.bundled)
    var blockAllBut = try GeoPolicy(
        mode: .blockSelected, countries: "@AF,@AN,@AS,@EU,@NA,@OC,@SA,-US,-CA,-GB,-DE,-FR,-NL",
        trusted: ["10.0.0.0/8", "fd00::/8"], providers: ["81.2.69.0/24", "2a00:1450::/32"])
    blockAllBut.directions = [.input, .forward]
    let allowOnly = try GeoPolicy(
        mode: .allowOnlySelected, countries: "US,CA,GB,DE,FR,NL", trusted: ["192.168.0.0/16"],
        scope: ServiceScope(rules: try ServiceScope.service("sip") + ServiceScope.service("rtp")))
    return try [FirewallPlan(policy: blockAllBut, database: database), FirewallPlan(policy: allowOnly, database: database)]
}

@Suite("Renderings load into the real kernel", .serialized)
struct KernelRenderingTests {
    @Test("nft -f accepts the script and nft list shows the plan's element counts", .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason))
    func nftables() throws {
        for plan in try bundledPlans() {
            let namespace = try ScratchNamespace()
            defer { namespace.delete() }
            let script = try TestPaths.temporaryFile(plan.nftScript(), name: "plan.nft")
            let load = try namespace.run("/usr/sbin/nft", ["-f", script])
            try #require(load.status == 0, "nft -f: \(load.error.prefix(500))")
            // Loading the same script again replaces the table in one transaction.
            #expect(try namespace.run("/usr/sbin/nft", ["-f", script]).status == 0)
            let usesMap = plan.policy.enabled  // per-country counters, the default
            for figures in plan.setFigures where !(plan.policy.mode == .blockSelected && figures.name.hasPrefix("geo")) {
                let listed = try namespace.run("/usr/sbin/nft", ["-j", "list", "set", "inet", "geofilter", figures.name])
                try #require(listed.status == 0, "\(figures.name): \(listed.error)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any])
                let set = try #require((json["nftables"] as? [[String: Any]])?.compactMap { $0["set"] as? [String: Any] }.first)
                #expect((set["elem"] as? [Any])?.count ?? 0 == figures.ranges, "\(figures.name)")
            }
            if usesMap {
                for family in IPAddressFamily.allCases {
                    let listed = try namespace.run("/usr/sbin/nft", ["-j", "list", "map", "inet", "geofilter", KernelNames.countryMap(family)])
                    let json = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any])
                    let map = try #require((json["nftables"] as? [[String: Any]])?.compactMap { $0["map"] as? [String: Any] }.first)
                    #expect((map["elem"] as? [Any])?.count == plan.countryRangeCount(family))
                }
            }
            let ruleset = try namespace.run("/usr/sbin/nft", ["list", "table", "inet", "geofilter"]).output
            #expect(ruleset.contains("comment \"geofilter sha256:\(plan.digest)\""))
            #expect(ruleset.contains("ct state established,related accept"))
            for direction in plan.policy.directions { #expect(ruleset.contains("hook \(direction.rawValue)")) }
            // The rule order of the plan, as the kernel reports it.
            let lines = ruleset.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let order = ["ct state established", "@trusted4 accept", "@provider4 accept", "iifname \"lo\" accept", usesMap ? "vmap @countries4" : "counter packets"]
            let positions = order.map { marker in lines.firstIndex { $0.contains(marker) } ?? -1 }
            #expect(positions.allSatisfy { $0 >= 0 } && positions == positions.sorted(), "\(positions)")
        }
    }

    @Test("ipset restore accepts the sets with the plan's entry counts, and iptables-restore the rules", .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason))
    func ipset() throws {
        for plan in try bundledPlans() {
            let namespace = try ScratchNamespace()
            defer { namespace.delete() }
            let restore = try namespace.run("/usr/sbin/ipset", ["restore"], input: plan.ipsetScript())
            try #require(restore.status == 0, "ipset restore: \(restore.error.prefix(500))")
            for figures in plan.setFigures {
                let name = KernelNames.standard.setPrefix + figures.name
                let listed = try namespace.run("/usr/sbin/ipset", ["list", "-t", name])
                let count = listed.output.split(separator: "\n").first { $0.hasPrefix("Number of entries:") }
                    .flatMap { Int($0.split(separator: " ").last ?? "") }
                #expect(count == figures.networks, "\(name): \(listed.output) \(listed.error)")
            }
            for (family, tool) in [(IPAddressFamily.ipv4, "/usr/sbin/iptables-restore"), (.ipv6, "/usr/sbin/ip6tables-restore")] {
                let rules = try namespace.run(tool, ["--noflush"], input: plan.iptablesScript(family))
                #expect(rules.status == 0, "\(tool): \(rules.error)")
            }
            let saved = try namespace.run("/usr/sbin/iptables-save", []).output
            #expect(saved.contains("-A INPUT -j GEOFILTER"))
            #expect(saved.contains("-A GEOFILTER -m set --match-set geofilter-trusted4 src -j RETURN"))
            #expect(saved.contains("geofilter-geo4 src"))
        }
    }
}
