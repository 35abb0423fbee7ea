import Foundation
import Synchronization
import Testing

@testable import GeoFilterCore

/// For each source address of ``ScratchLink``, whether its ping is dropped, all at once (a
/// missing answer is asked again with a longer wait before it counts as a drop).
private func dropped(_ link: ScratchLink, _ sources: [String]) -> [String: Bool] {
    let results = Mutex<[String: Bool]>([:])
    DispatchQueue.concurrentPerform(iterations: sources.count) { index in
        let source = sources[index]
        let target = source.contains(":") ? ScratchLink.serverIPv6 : ScratchLink.serverIPv4
        let passed = [0.3, 1].contains { timeout in
            (try? link.client.run("/usr/bin/ping", ["-c", "1", "-W", "\(timeout)", "-I", source, target]).status) == 0
        }
        results.withLock { $0[source] = !passed }
    }
    return results.withLock { $0 }
}

/// ScratchLink's fixture sources: CN (blocked by every plan below), AU and JP (blocked by the
/// new plans only: AU tells IPv4's plan, JP IPv6's), US (passes every plan).
private let cn4 = "1.0.1.1", au4 = "1.0.0.1", jp6 = "2001:2::1", us6 = "2001:4:112::1"

/// The plan a family enforces according to the packets of its discriminating source.
private func packetsAgree(_ plan: FirewallPlan, new: FirewallPlan, _ dropped: [String: Bool], _ family: IPAddressFamily) -> Bool {
    let isNew = plan.digest == new.digest
    return dropped[family == .ipv4 ? au4 : jp6] == isNew
}

@Suite("ipset backend: every step of an apply, failures and damage (real kernel)", .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason))
struct IPSetApplyFaultTests {
    /// The plan in force before each change, and the two changes: one of the rules (mode and
    /// directions), one of the sets only.
    static func plans(_ change: String) throws -> (old: FirewallPlan, new: FirewallPlan) {
        let old = try plan(.blockSelected, "CN")
        let new =
            change == "rules"
            ? try FirewallPlan(policy: GeoPolicy(mode: .allowOnlySelected, countries: "US", directions: [.input, .forward]), database: fixtureDatabase())
            : try plan(.blockSelected, "CN,AU,JP")
        return (old, new)
    }

    @Test("Stopped dead before each step (as if killed there): each family enforces the old or the new plan, status says which, the next apply recovers", arguments: ["rules", "sets"])
    func everyStep(_ change: String) throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let (old, new) = try Self.plans(change)
        var backend = IPSetBackend(namespace: .named(link.server.name))
        if change == "sets" {
            #expect(backend.rulesFingerprint(old) == backend.rulesFingerprint(new), "a change of the sets only")
        }
        _ = try backend.apply(old)
        var stops: [String] = []
        for step in 1...80 {
            backend.stopBeforeStep = step
            var finished = true
            do {
                _ = try backend.apply(new)
            } catch {
                guard error.isSimulatedKill else { throw error }
                finished = false
            }
            backend.stopBeforeStep = nil
            if finished { break }
            let packets = dropped(link, [cn4, au4, jp6, us6])
            let status = try backend.status()
            stops.append("\(step): \(status.state) \(status.familyDigests.mapValues { $0 == new.digest ? "new" : "old" })")
            #expect(packets[cn4] == true && packets[us6] == false, "step \(step): \(packets)")
            #expect(status.state != .damaged, "step \(step): \(status)")
            if let digest = status.digest {
                let enforced = try #require([old, new].first { $0.digest == digest })
                #expect(IPAddressFamily.allCases.allSatisfy { packetsAgree(enforced, new: new, packets, $0) }, "step \(step): \(packets) \(status)")
            } else {
                #expect(status.state == .pending, "step \(step): \(status)")
                for family in IPAddressFamily.allCases {
                    let enforced = [old, new].first { $0.digest == status.familyDigests[family.rawValue] }
                    #expect(enforced.map { packetsAgree($0, new: new, packets, family) } == true, "step \(step) \(family): \(packets) \(status)")
                }
            }
            // The next apply: of the old plan on even steps, of the new one on odd steps.
            let target = step % 2 == 0 ? old : new
            #expect(try backend.apply(target).digest == target.digest)
            let recovered = try backend.status()
            #expect(recovered.digest == target.digest && recovered.state == .enforced && recovered.leftovers.isEmpty && recovered.pendingDigest == nil, "step \(step): \(recovered)")
            let after = dropped(link, [cn4, au4, jp6])
            #expect(after[cn4] == true && after[au4] == (target.digest == new.digest) && after[jp6] == (target.digest == new.digest), "step \(step): \(after)")
            if target.digest == new.digest { _ = try backend.apply(old) }
        }
        print("ipset apply steps (\(change)): \(stops.count) stops: \(stops.joined(separator: "; "))")
        #expect(stops.count >= 8, "\(stops)")
        _ = try backend.remove()
    }

    @Test("A failing switch (IPv4, or IPv6 after IPv4 switched) leaves the old plan in force in both families, no marker, no leftovers", arguments: [IPAddressFamily.ipv4, .ipv6])
    func failingSwitch(_ family: IPAddressFamily) throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let (old, new) = try Self.plans("rules")
        var backend = IPSetBackend(namespace: .named(link.server.name))
        _ = try backend.apply(old)
        backend.injectSwitchFault = family
        let error = #expect(throws: GeoFilterError.self) { try backend.apply(new) }
        #expect(error?.code == .program, "\(String(describing: error))")
        let status = try backend.status()
        #expect(status.digest == old.digest && status.state == .enforced && status.pendingDigest == nil && status.leftovers.isEmpty, "\(status)")
        let packets = dropped(link, [cn4, au4, jp6, us6])
        #expect(packets == [cn4: true, au4: false, jp6: false, us6: false], "\(packets)")
        let forward = try link.server.run("/usr/sbin/iptables-save", []).output
        #expect(!forward.contains("-A FORWARD"), "the new plan's FORWARD jump was taken back: \(forward)")
        backend.injectSwitchFault = nil
        #expect(try backend.apply(old) == .unchanged(digest: old.digest))
        #expect(try backend.apply(new) == .applied(digest: new.digest))
        _ = try backend.remove()
    }

    @Test("Damage is reported and repaired: an emptied chain, a missing jump, a set with other entries; leftovers are listed and removed")
    func damage() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let (old, _) = try Self.plans("rules")
        let backend = IPSetBackend(namespace: .named(link.server.name))
        _ = try backend.apply(old)
        // Each damage as a command, given the live IPv4 geo set and the live chain.
        let damages: [(String, (String, String) -> [String])] = [
            ("emptied chain", { _, chain in ["/usr/sbin/iptables", "-F", chain] }),
            ("missing jump", { _, _ in ["/usr/sbin/ip6tables", "-D", "INPUT", "-j", "GEOFILTER"] }),
            ("emptied dispatcher", { _, _ in ["/usr/sbin/iptables", "-F", "GEOFILTER"] }),
            ("other entries", { set, _ in ["/usr/sbin/ipset", "add", set, "1.0.0.0/24"] }),
        ]
        for (what, makeCommand) in damages {
            let live = try #require(try backend.liveSetName(.geo, .ipv4))
            let command = makeCommand(live, "GEOFILTER-" + String(live.split(separator: "-").last!))
            let damage = try link.server.run(command[0], Array(command.dropFirst()))
            try #require(damage.status == 0, "\(what): \(damage.error)")
            let status = try backend.status()
            #expect(status.state == .damaged && status.digest == nil && !status.problems.isEmpty, "\(what): \(status)")
            #expect(try backend.apply(old) == .applied(digest: old.digest), "\(what): repaired, not 'unchanged'")
            let repaired = try backend.status()
            #expect(repaired.state == .enforced && repaired.digest == old.digest && repaired.leftovers.isEmpty, "\(what): \(repaired)")
            #expect(dropped(link, [cn4, au4]) == [cn4: true, au4: false], "\(what)")
        }
        // A leftover set and chain of a killed apply: listed, then removed by an "unchanged" apply.
        #expect(try link.server.run("/usr/sbin/ipset", ["create", "geofilter-geo4-zz9zz9", "hash:net"]).status == 0)
        #expect(try link.server.run("/usr/sbin/iptables", ["-N", "GEOFILTER-zz9zz9"]).status == 0)
        let status = try backend.status()
        #expect(status.state == .enforced && status.leftovers == ["GEOFILTER-zz9zz9", "geofilter-geo4-zz9zz9"], "\(status)")
        #expect(try backend.apply(old) == .unchanged(digest: old.digest))
        #expect(try backend.status().leftovers.isEmpty)
        _ = try backend.remove()
    }

    @Test("A plan installed by the layout before generations (rules in GEOFILTER, sets without a token) is taken over and its sets removed")
    func upgradeFromSingleChain() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let (old, new) = try Self.plans("rules")
        let restore = try link.server.run("/usr/sbin/ipset", ["restore"], input: old.ipsetScript())
        try #require(restore.status == 0, "\(restore.error)")
        for (family, tool) in [(IPAddressFamily.ipv4, "/usr/sbin/iptables-restore"), (.ipv6, "/usr/sbin/ip6tables-restore")] {
            #expect(try link.server.run(tool, ["--noflush"], input: old.iptablesScript(family)).status == 0)
        }
        #expect(dropped(link, [cn4, au4]) == [cn4: true, au4: false])
        let backend = IPSetBackend(namespace: .named(link.server.name))
        #expect(try backend.apply(new) == .applied(digest: new.digest))
        #expect(dropped(link, [cn4, au4, jp6, us6]) == [cn4: true, au4: true, jp6: true, us6: false])
        let status = try backend.status()
        #expect(status.state == .enforced && status.leftovers.isEmpty, "\(status)")
        let sets = try link.server.run("/usr/sbin/ipset", ["list", "-n"]).output.split(separator: "\n")
        #expect(sets.count == new.setRoles.count * 2 + 1 && !sets.contains("geofilter-geo4"), "\(sets)")
        _ = try backend.remove()
    }
}
