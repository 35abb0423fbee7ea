import Foundation
import GeoFilterBundledData
import Synchronization
import SystemPackage
import Testing

@testable import GeoFilterCore

/// The bundled data's "block all but US CA GB DE FR NL" plan, compiled once.
private let allButSix: Result<FirewallPlan, any Error> = Result {
    GeoFilterBundledData.register()
    let policy = try GeoPolicy(mode: .blockSelected, countries: "@AF,@AN,@AS,@EU,@NA,@OC,@SA,-US,-CA,-GB,-DE,-FR,-NL")
    return try FirewallPlan(policy: policy, database: GeoDatabase.load(.bundled))
}

/// `ipset save NAME` read back as a CIDR set, with its entry count.
private func listedSet(_ namespace: ScratchNamespace, _ name: String) throws -> (set: CIDRSet, entries: Int) {
    let saved = try namespace.run("/usr/sbin/ipset", ["save", name])
    try #require(saved.status == 0, "ipset save \(name): \(saved.error)")
    let prefixes = saved.output.split(separator: "\n").filter { $0.hasPrefix("add ") }.map { $0.split(separator: " ")[2] }
    return (try CIDRSet(parsing: prefixes), prefixes.count)
}

/// iptables-save and ip6tables-save without their timestamp comments, and `ipset save`.
private func firewallText(_ namespace: ScratchNamespace) throws -> String {
    var text = ""
    for tool in ["/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save", "/usr/sbin/ipset"] {
        let result = try namespace.run(tool, tool.hasSuffix("ipset") ? ["save"] : [])
        text += result.output.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
    }
    return text
}

@Suite("ipset backend against the real kernel", .serialized, .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason))
struct IPSetBackendTests {
    @Test("Block mode drops a blocked country's packets (its rule counter moves); trusted and provider sources pass; IPv4 and IPv6")
    func blockMode() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let backend = IPSetBackend(namespace: .named(link.server.name))
        let probe = backend.probe()
        #expect(probe.available && probe.reason == nil, "\(probe.message)")
        #expect(try link.ping(from: "1.0.1.1") && link.ping(from: "2001:2::1"))

        let blockPlan = try plan(.blockSelected, "CN,JP")
        #expect(try backend.apply(blockPlan) == .applied(digest: blockPlan.digest))
        #expect(try !link.ping(from: "1.0.1.1"))  // CN
        #expect(try link.ping(from: "1.0.0.1"))  // AU
        #expect(try !link.ping(from: "2001:2::1"))  // JP
        #expect(try link.ping(from: "2001:4:112::1"))  // US
        let status = try backend.status()
        #expect(status.installed && status.backend == .ipset)
        #expect(status.digest == blockPlan.digest && status.mode == .blockSelected && status.countries == ["CN", "JP"])
        #expect(status.counters.first { $0.rule == "geo4" }?.packets ?? 0 >= 1, "\(status.counters)")
        #expect(status.counters.first { $0.rule == "geo6" }?.packets ?? 0 >= 1, "\(status.counters)")
        #expect(status.sets.first { $0.name.hasPrefix("geofilter-geo4-") }?.elements == blockPlan.hashNetLayout(.geo, .ipv4).entries)
        #expect(status.state == .enforced && status.leftovers.isEmpty && status.problems.isEmpty && status.pendingDigest == nil)
        #expect(status.familyDigests == ["ipv4": blockPlan.digest, "ipv6": blockPlan.digest])

        // The same countries, with the CN address trusted and the JP network a provider.
        let exempt = try plan(.blockSelected, "CN,JP", trusted: ["1.0.1.1/32"], providers: ["2001:2::/48"])
        #expect(try backend.apply(exempt) == .applied(digest: exempt.digest))
        #expect(try backend.status().digest == exempt.digest)
        #expect(try link.ping(from: "1.0.1.1") && link.ping(from: "2001:2::1"))
        #expect(try link.ping(from: "1.0.0.1"))  // AU still passes
        #expect(try backend.apply(exempt) == .unchanged(digest: exempt.digest))
        // No set of an older generation is left behind: the meta set and the plan's sets.
        let listed = try link.server.run("/usr/sbin/ipset", ["list", "-n"]).output.split(separator: "\n")
        #expect(listed.count == exempt.setRoles.count * 2 + 1, "\(listed)")
        #expect(try backend.status().leftovers.isEmpty)
    }

    @Test("Allow-only mode drops non-allowed countries and passes private space; IPv4 and IPv6")
    func allowOnly() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let backend = IPSetBackend(namespace: .named(link.server.name))
        let allow = try plan(.allowOnlySelected, "AU,US")
        _ = try backend.apply(allow)
        #expect(try !link.ping(from: "1.0.1.1"))  // CN: not allowed
        #expect(try link.ping(from: "1.0.0.1"))  // AU
        #expect(try link.ping(from: "192.168.5.2"))  // private space
        #expect(try !link.ping(from: "2001:2::1"))  // JP
        #expect(try link.ping(from: "2001:4:112::1"))  // US
        // Switching mode changes the rules as well as the sets.
        let block = try plan(.blockSelected, "AU")
        #expect(try backend.apply(block) == .applied(digest: block.digest))
        #expect(try link.ping(from: "1.0.1.1") && !link.ping(from: "1.0.0.1") && link.ping(from: "2001:2::1"))
        // The reserved sets of allow-only mode are gone with it.
        #expect(try !link.server.run("/usr/sbin/ipset", ["list", "-n"]).output.contains("geofilter-reserved"))
    }

    @Test("ipset save reads back exactly the plan's prefixes; after remove the firewall is as before (fresh and with host rules)")
    func readBackAndRemove() throws {
        let plan = try allButSix.get()
        for hostRules in [false, true] {
            let namespace = try ScratchNamespace()
            defer { namespace.delete() }
            if hostRules {
                #expect(try namespace.run("/usr/sbin/ipset", ["create", "host-allow", "hash:ip"]).status == 0)
                #expect(try namespace.run("/usr/sbin/ipset", ["add", "host-allow", "192.0.2.7"]).status == 0)
                let rules = "*filter\n-A INPUT -m set --match-set host-allow src -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"
                #expect(try namespace.run("/usr/sbin/iptables-restore", ["--noflush"], input: rules).status == 0)
                #expect(try namespace.run("/usr/sbin/ip6tables-restore", ["--noflush"], input: "*filter\n-A INPUT -p udp --dport 5060 -j ACCEPT\nCOMMIT\n").status == 0)
            }
            let before = try firewallText(namespace)
            let backend = IPSetBackend(namespace: .named(namespace.name))
            _ = try backend.apply(plan)
            for family in IPAddressFamily.allCases {
                let listed = try listedSet(namespace, try #require(try backend.liveSetName(.geo, family)))
                #expect(listed.set == plan.addresses(of: .geo, family, for: .prefixes), "\(family)")
                #expect(listed.entries == plan.addresses(of: .geo, family, for: .prefixes).networkCount(family))
            }
            let saved = try namespace.run("/usr/sbin/iptables-save", []).output
            #expect(saved.contains("-A INPUT -j GEOFILTER"))
            if hostRules { #expect(saved.contains("-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT")) }
            // A second, different plan, then remove.
            _ = try backend.apply(try FirewallPlan(policy: GeoPolicy(mode: .allowOnlySelected, countries: "DE"), database: fixtureDatabase()))
            #expect(try backend.remove())
            #expect(try firewallText(namespace) == before, "hostRules: \(hostRules)")
            #expect(try !backend.remove())
            #expect(try !backend.status().installed)
        }
    }

    @Test("A plan larger than the previous maxelem applies; a failure while filling leaves the old sets in force")
    func resizeAndFailure() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        var backend = IPSetBackend(namespace: .named(link.server.name))
        let small = try plan(.blockSelected, "CN")
        _ = try backend.apply(small)
        let header = try link.server.run("/usr/sbin/ipset", ["list", "-t", try #require(try backend.liveSetName(.geo, .ipv4))]).output
        #expect(header.contains("maxelem 65536"))
        let big = try allButSix.get()
        #expect(big.hashNetLayout(.geo, .ipv4).entries > 65_536)
        #expect(try backend.apply(big) == .applied(digest: big.digest))
        let grown = try link.server.run("/usr/sbin/ipset", ["list", "-t", try #require(try backend.liveSetName(.geo, .ipv4))]).output
        #expect(IPSetBackend.entryCount(grown) == big.hashNetLayout(.geo, .ipv4).entries, "\(grown)")

        // Back to the small plan, then a failing fill.
        _ = try backend.apply(small)
        #expect(try !link.ping(from: "1.0.1.1"))  // CN blocked
        backend.injectFillFault = true
        let failing = try plan(.blockSelected, "AU")  // two IPv4 networks: 1.0.0.0/24, 1.0.4.0/22
        #expect(failing.hashNetLayout(.geo, .ipv4).entries == 2)
        let error = #expect(throws: GeoFilterError.self) { try backend.apply(failing) }
        #expect(error?.code == .kernel && error?.message.contains("Hash is full") == true, "\(String(describing: error))")
        #expect((error?.underlying as? IPSetFailure)?.kind == .hashFull, "the class comes from the kernel's code")
        let afterFailure = try backend.status()
        #expect(afterFailure.digest == small.digest && afterFailure.state == .enforced && afterFailure.pendingDigest == nil)
        #expect(afterFailure.leftovers.isEmpty, "the new generation's sets are destroyed: \(afterFailure.leftovers)")
        #expect(try !link.ping(from: "1.0.1.1"))  // CN still blocked
        #expect(try link.ping(from: "1.0.0.1"))  // AU not blocked: the failed plan is not in force
        backend.injectFillFault = false
        #expect(try backend.apply(failing) == .applied(digest: failing.digest))
        #expect(try !link.ping(from: "1.0.0.1") && link.ping(from: "1.0.1.1"))
    }

    @Test("Prefix reduction: the kernel set holds the same addresses with fewer prefix lengths")
    func reducedSets() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        let plan = try allButSix.get()
        let backend = IPSetBackend(namespace: .named(namespace.name), prefixReduction: .standard)
        _ = try backend.apply(plan)
        for family in IPAddressFamily.allCases {
            let layout = plan.hashNetLayout(.geo, family, reduction: .standard)
            let live = try #require(try backend.liveSetName(.geo, family))
            let listed = try listedSet(namespace, live)
            #expect(listed.set == plan.addresses(of: .geo, family, for: .prefixes))
            #expect(listed.entries == layout.entries)
            let lengths = Set(try namespace.run("/usr/sbin/ipset", ["save", live]).output
                .split(separator: "\n").filter { $0.hasPrefix("add ") }.map { line in
                    // ipset writes a full-length prefix as a bare address.
                    line.contains("/") ? String(line.split(separator: "/").last!) : family == .ipv4 ? "32" : "128"
                })
            #expect(lengths.count == layout.distinctLengths)
            #expect(layout.distinctLengths < plan.hashNetLayout(.geo, family).distinctLengths)
        }
    }

    @Test("Error classes come from the kernel's codes: missing set, existing set, full hash, a set in use, another family, no namespace")
    func errorClasses() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        /// The error of `body` and its class, or nil when it succeeds.
        func failure(_ body: () throws -> Void) -> (GeoFilterError, IPSetFailure)? {
            do {
                try body()
                return nil
            } catch {
                let error = error as? GeoFilterError ?? GeoFilterError(.program, "not a GeoFilterError: \(error)")
                return (error, error.underlying as? IPSetFailure ?? IPSetFailure(kind: .library, kernelCode: -1))
            }
        }
        var four = HashNetEntries(IPv4Network(masking: IPv4Address(0x0A00_0000), prefixLength: 24))
        for index in 1..<4 {
            four.addresses += [10, 0, UInt8(index), 0]
            four.lengths.append(24)
        }
        try IPSetSession.with(namespace: .named(namespace.name)) { session throws(GeoFilterError) in
            // A missing set: destroy and list answer "absent"; the rest fail with ENOENT.
            #expect(try session.destroy("gf-missing") == false)
            #expect(try session.header("gf-missing") == nil)
            #expect(try session.save("gf-missing") == nil)
            try session.create("gf-a", family: .ipv4, hashSize: 64, maxElements: 1024)
            let missing = failure { try session.swap("gf-missing", "gf-a") }
            #expect(missing?.1 == IPSetFailure(kind: .noSuchSet, kernelCode: ENOENT))
            #expect(missing?.0.code == .kernel && missing?.0.errno?.rawValue == ENOENT)
            let missingAdd = failure { try session.add("gf-missing", four) }
            #expect(missingAdd?.1.kind == .noSuchSet && missingAdd?.1.kernelCode == ENOENT)
            // The second set of a swap: the kernel's IPSET_ERR_EXIST_SETNAME2 (4101), no errno.
            let second = failure { try session.swap("gf-a", "gf-missing") }
            #expect(second?.1 == IPSetFailure(kind: .noSuchSet, kernelCode: 4101))
            #expect(second != nil && second?.0.errno == nil)
            // EEXIST for a name in use.
            let exists = failure { try session.create("gf-a", family: .ipv4, hashSize: 64, maxElements: 1024) }
            #expect(exists?.1 == IPSetFailure(kind: .exists, kernelCode: EEXIST))
            // IPSET_ERR_HASH_FULL (4352); the entries before the failing one stay.
            try session.create("gf-small", family: .ipv4, hashSize: 64, maxElements: 2)
            let full = failure { try session.add("gf-small", four) }
            #expect(full?.1 == IPSetFailure(kind: .hashFull, kernelCode: 4352))
            // A set of the other family.
            try session.create("gf-six", family: .ipv6, hashSize: 64, maxElements: 16)
            let family = failure { try session.add("gf-six", four) }
            #expect(family?.1.kind == .typeMismatch)
            let swapFamilies = failure { try session.swap("gf-a", "gf-six") }
            #expect(swapFamilies?.1.kind == .typeMismatch)
        }
        // A set referenced by a rule: IPSET_ERR_BUSY (4100).
        let rule = try namespace.run("/usr/sbin/iptables", ["-A", "INPUT", "-m", "set", "--match-set", "gf-a", "src", "-j", "DROP"])
        try #require(rule.status == 0, "\(rule.error)")
        try IPSetSession.with(namespace: .named(namespace.name)) { session throws(GeoFilterError) in
            let busy = failure { try session.destroy("gf-a") }
            #expect(busy?.1 == IPSetFailure(kind: .inUse, kernelCode: 4100))
        }
        // A namespace that does not exist.
        let absent = #expect(throws: GeoFilterError.self) {
            try IPSetSession.with(namespace: .named("gftest-absent-\(UInt32.random(in: 0...UInt32.max))")) { (_: borrowing IPSetSession) throws(GeoFilterError) in }
        }
        #expect(absent?.code == .namespace && absent?.errno?.rawValue == ENOENT, "\(String(describing: absent))")
        #expect((absent?.underlying as? IPSetFailure)?.kind == .namespace)
    }

    @Test("The libipset lock is held inside each call only: while one session waits between calls, another namespace's apply (iptables included) and session finish")
    func sessionsInterleave() throws {
        let first = try ScratchNamespace()
        defer { first.delete() }
        let second = try ScratchNamespace()
        defer { second.delete() }
        let opened = DispatchSemaphore(value: 0)
        let othersDone = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let outcome = Mutex<[String]>([])
        let firstName = first.name
        Thread.detachNewThread {
            do throws(GeoFilterError) {
                try IPSetSession.with(namespace: .named(firstName)) { session throws(GeoFilterError) in
                    try session.create("gf-shared", family: .ipv4, hashSize: 64, maxElements: 16)
                    opened.signal()
                    // Between two calls, as while iptables-restore runs during an apply.
                    let waited = othersDone.wait(timeout: .now() + 60)
                    outcome.withLock { $0.append(waited == .success ? "waited" : "timed out") }
                    // The set cache now describes the other namespace's "gf-shared" (IPv6):
                    // this call must look at its own namespace's set again.
                    try session.add("gf-shared", HashNetEntries(IPv4Network(masking: IPv4Address(0x0A00_0000), prefixLength: 8)))
                    #expect(try session.save("gf-shared")?.contains("add gf-shared 10.0.0.0/8") == true)
                }
                outcome.withLock { $0.append("first done") }
            } catch {
                outcome.withLock { $0.append("first failed: \(error)") }
            }
            finished.signal()
        }
        try #require(opened.wait(timeout: .now() + 60) == .success)
        let backend = IPSetBackend(namespace: .named(second.name))
        let small = try plan(.blockSelected, "CN")
        #expect(try backend.apply(small) == .applied(digest: small.digest))
        #expect(try backend.status().digest == small.digest)
        try IPSetSession.with(namespace: .named(second.name)) { session throws(GeoFilterError) in
            try session.create("gf-shared", family: .ipv6, hashSize: 64, maxElements: 16)
            #expect(try session.header("gf-shared")?.contains("family inet6") == true)
        }
        #expect(try backend.remove())
        othersDone.signal()
        try #require(finished.wait(timeout: .now() + 60) == .success)
        #expect(outcome.withLock { $0 } == ["waited", "first done"])
    }

    @Test("Two applies on one namespace from two threads do not interleave: both succeed and one plan is in force")
    func appliesOnOneNamespace() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        let plans = [try plan(.blockSelected, "CN"), try plan(.blockSelected, "AU,NZ")]
        let backend = IPSetBackend(namespace: .named(namespace.name))
        let outcomes = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            do throws(GeoFilterError) {
                let outcome = try backend.apply(plans[index % 2])
                outcomes.withLock { $0.append(outcome.digest) }
            } catch {
                outcomes.withLock { $0.append("failed: \(error)") }
            }
        }
        let digests = outcomes.withLock { $0 }
        #expect(digests.count == 4 && digests.allSatisfy { digest in plans.contains { $0.digest == digest } }, "\(digests)")
        let status = try backend.status()
        #expect(plans.contains { $0.digest == status.digest })
        #expect(status.state == .enforced && status.leftovers.isEmpty, "\(status)")
        #expect(try backend.remove())
    }

    @Test("libipset is closed when no session is open, and loaded again when next needed")
    func unload() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        #expect(IPSetSession.libraryError == nil)
        #expect(IPSetSession.unloadLibrary())
        #expect(NetfilterLibraries.loaded.ipsetPath != nil, "loaded again")
        try IPSetSession.with(namespace: .named(namespace.name)) { session throws(GeoFilterError) in
            #expect(!IPSetSession.unloadLibrary(), "a session is open")
            try session.create("gf-after-reload", family: .ipv4, hashSize: 64, maxElements: 16)
            #expect(try session.destroy("gf-after-reload"))
        }
    }

    @Test("Names longer than ipset allows are refused before anything is sent")
    func longNames() throws {
        let backend = IPSetBackend(names: KernelNames(table: "t", setPrefix: "a-very-long-prefix-for-sets-", chain: "GEOFILTER"), namespace: .named("unused"))
        let error = #expect(throws: GeoFilterError.self) { try backend.apply(try plan(.blockSelected, "CN")) }
        #expect(error?.code == .invalidInput && error?.message.contains("31") == true)
    }
}
