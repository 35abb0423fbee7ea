import Foundation
import GeoFilterBundledData
import GeoFilterTestSupport
import SystemPackage
import Testing

@testable import GeoFilterCore

@Suite("nftables backend against the real kernel", .serialized, .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason))
struct NftablesBackendTests {
    @Test("Block mode drops a blocked country's packets (its counter moves); trusted and provider sources pass; IPv4 and IPv6")
    func blockMode() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let backend = NftablesBackend(namespace: .named(link.server.name))
        #expect(backend.probe().available)
        #expect(try link.ping(from: "1.0.1.1") && link.ping(from: "2001:2::1"))

        let blockPlan = try plan(.blockSelected, "CN,JP")
        #expect(try backend.apply(blockPlan) == .applied(digest: blockPlan.digest))
        #expect(try backend.status().counters.allSatisfy { !$0.rule.hasPrefix("gf1") })
        #expect(try !link.ping(from: "1.0.1.1"))  // CN
        #expect(try link.ping(from: "1.0.0.1"))  // AU
        #expect(try !link.ping(from: "2001:2::1"))  // JP
        #expect(try link.ping(from: "2001:4:112::1"))  // US
        let status = try backend.status()
        #expect(status.digest == blockPlan.digest && status.mode == .blockSelected && status.countries == ["CN", "JP"])
        // The blocked countries' own counters moved.
        #expect(status.countryCounters.first { $0.country == "CN" }?.packets ?? 0 >= 1)
        #expect(status.countryCounters.first { $0.country == "JP" }?.packets ?? 0 >= 1)
        #expect(status.sets.first { $0.name == "countries4" }?.elements == 1)

        // The same countries, with the CN address trusted and the JP network a provider.
        let exempt = try plan(.blockSelected, "CN,JP", trusted: ["1.0.1.1/32"], providers: ["2001:2::/48"])
        // Only set elements differ: applied as an element diff.
        #expect(try backend.apply(exempt) == .updated(digest: exempt.digest, elementsRemoved: 0, elementsAdded: 2))
        #expect(try backend.status().digest == exempt.digest)
        #expect(try link.ping(from: "1.0.1.1") && link.ping(from: "2001:2::1"))
        #expect(try backend.apply(exempt) == .unchanged(digest: exempt.digest))
    }

    @Test("Allow-only mode drops a non-allowed country and passes private space")
    func allowOnly() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let backend = NftablesBackend(namespace: .named(link.server.name))
        _ = try backend.apply(try plan(.allowOnlySelected, "AU,US"))
        #expect(try !link.ping(from: "1.0.1.1"))  // CN: not allowed
        // The dropped sources' own country counters moved (allow-only counts every other region).
        let status = try backend.status()
        #expect(status.countryCounters.first { $0.country == "CN" }?.packets ?? 0 >= 1)
        #expect(try link.ping(from: "1.0.0.1"))  // AU
        #expect(try link.ping(from: "192.168.5.2"))  // private space
        #expect(try !link.ping(from: "2001:2::1"))  // JP
        #expect(try link.ping(from: "2001:4:112::1"))  // US
        #expect(try backend.status().countryCounters.first { $0.country == "JP" }?.packets ?? 0 >= 1)
        #expect(try !backend.status().countryCounters.contains { $0.country == "AU" })
    }

    @Test("An established connection from a source that stays allowed survives a re-apply")
    func establishedSurvives() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let backend = NftablesBackend(namespace: .named(link.server.name))
        _ = try backend.apply(try plan(.blockSelected, "CN"))
        // An echo server in the server namespace that says when it listens; a client from the AU
        // address that sends a line, says when it got the echo (the connection is established,
        // its conntrack entry exists), waits for a line on its standard input (sent after the
        // re-apply), then sends another. Handshakes, no sleeps; each side has its own timeout.
        let serverScript = """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("10.99.0.1", 7070)); s.listen(1); s.settimeout(20)
            print("listening", flush=True)
            c, _ = s.accept(); c.settimeout(20)
            while True:
                data = c.recv(100)
                if not data: break
                c.sendall(data)
            """
        let clientScript = """
            import socket, sys
            c = socket.create_connection(("10.99.0.1", 7070), timeout=5, source_address=("1.0.0.1", 0))
            c.sendall(b"one"); assert c.recv(100) == b"one"
            print("connected", flush=True)
            sys.stdin.readline()
            c.sendall(b"two"); print(c.recv(100).decode(), flush=True)
            """
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        server.arguments = ["netns", "exec", link.server.name, "/usr/bin/python3", "-c", serverScript]
        let serverOutput = Pipe()
        server.standardOutput = serverOutput
        try server.run()
        defer { server.terminate() }
        try #require(readLine(serverOutput.fileHandleForReading) == "listening")
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        client.arguments = ["netns", "exec", link.client.name, "/usr/bin/python3", "-c", clientScript]
        let output = Pipe()
        let input = Pipe()
        client.standardOutput = output
        client.standardInput = input
        try client.run()
        defer { if client.isRunning { client.terminate() } }
        let first = readLine(output.fileHandleForReading)
        try #require(first == "connected", "the client did not connect: \(first ?? "no output")")
        // A changed plan: CN and RU blocked now; AU stays allowed.
        let changed = try plan(.blockSelected, "CN,RU")
        #expect(try backend.apply(changed).digest == changed.digest)
        input.fileHandleForWriting.write(Data("go\n".utf8))
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(waitForExit(client) == 0)
        #expect("\(first ?? "")\n" + rest == "connected\ntwo\n")
    }

    @Test("After remove, nft list ruleset is as before; an unrelated table stays untouched throughout")
    func removeRestores() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        let nft = "/usr/sbin/nft"
        let unrelated = "table ip keep {\n chain c {\n type filter hook input priority 10; policy accept;\n tcp dport 22 counter accept\n }\n set s { type ipv4_addr; elements = { 192.0.2.1 } }\n}\n"
        #expect(try namespace.run(nft, ["-f", "-"], input: unrelated).status == 0)
        let before = try namespace.run(nft, ["list", "ruleset"]).output
        let backend = NftablesBackend(namespace: .named(namespace.name))
        _ = try backend.apply(try plan(.blockSelected, "CN,@EU", trusted: ["10.0.0.0/8"]))
        _ = try backend.apply(try plan(.allowOnlySelected, "AU"))
        let during = try namespace.run(nft, ["list", "table", "ip", "keep"]).output
        #expect(before.contains(during.trimmingCharacters(in: .newlines)))
        #expect(try backend.remove())
        #expect(try namespace.run(nft, ["list", "ruleset"]).output == before)
        #expect(try !backend.remove())
        #expect(try !backend.status().installed)
    }

    @Test("A transaction the kernel rejects leaves the previous plan enforced and says what failed")
    func failedApply() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        var backend = NftablesBackend(namespace: .named(link.server.name))
        let first = try plan(.blockSelected, "CN")
        _ = try backend.apply(first)
        backend.injectOverlapFault = true
        let second = try plan(.blockSelected, "JP,CN")
        let error = #expect(throws: GeoFilterError.self) { try backend.apply(second) }
        // The full-replacement path fails the same way.
        var fresh = NftablesBackend(namespace: .named(link.server.name), useElementDiff: false)
        fresh.injectOverlapFault = true
        let full = #expect(throws: GeoFilterError.self) { try fresh.apply(second) }
        #expect(full?.message.contains("rejected") == true)
        #expect(error?.code == .kernel)
        #expect(error?.errno == .fileExists && full?.errno == .fileExists)
        #expect(error?.message.contains("rejected") == true && error?.message.contains("countries4") == true, "\(String(describing: error))")
        #expect(try backend.status().digest == first.digest)
        #expect(try !link.ping(from: "1.0.1.1"))  // CN still blocked
        #expect(try link.ping(from: "2001:2::1"))  // JP not blocked: the failed plan is not in force
    }

    @Test("A data-sized change is applied as an element diff; the kernel then holds exactly the new plan")
    func elementDiff() throws {
        let link = try ScratchLink()
        defer { link.delete() }
        let backend = NftablesBackend(namespace: .named(link.server.name))
        let first = try plan(.blockSelected, "CN,US")
        #expect(try backend.apply(first) == .applied(digest: first.digest))
        let second = try plan(.blockSelected, "AU,JP")
        let outcome = try backend.apply(second)
        guard case .updated(let digest, let removed, let added) = outcome else {
            Issue.record("expected an element diff, got \(outcome)")
            return
        }
        #expect(digest == second.digest && removed > 0 && added > 0)
        #expect(try backend.status().digest == second.digest)
        #expect(try backend.status().countries == ["AU", "JP"])
        #expect(try link.ping(from: "1.0.1.1"))  // CN: no longer blocked
        #expect(try !link.ping(from: "1.0.0.1"))  // AU: blocked now
        #expect(try !link.ping(from: "2001:2::1"))  // JP: blocked now
        #expect(try link.ping(from: "2001:4:112::1"))  // US: no longer blocked

        let listed = try link.server.run("/usr/sbin/nft", ["list", "map", "inet", "geofilter", "countries4"]).output
        #expect(listed.contains("1.0.0.0/24 : jump country-AU") && listed.contains("1.0.4.0/22 : jump country-AU") && !listed.contains("1.0.1.0"))
        // A backend that did not apply the previous plan replaces the table instead.
        let fresh = NftablesBackend(namespace: .named(link.server.name))
        #expect(try fresh.apply(first) == .applied(digest: first.digest))
        // A structural change (allow-only) is a full apply too.
        let allow = try plan(.allowOnlySelected, "AU")
        #expect(try fresh.apply(allow) == .applied(digest: allow.digest))
    }

    @Test("nft list map reads back exactly the plan's elements (bundled data, block all but six)")
    func readBack() throws {
        let namespace = try ScratchNamespace()
        defer { namespace.delete() }
        GeoFilterBundledData.register()
        let database = try GeoDatabase.load(.bundled)
        let policy = try GeoPolicy(mode: .blockSelected, countries: "@AF,@AN,@AS,@EU,@NA,@OC,@SA,-US,-CA,-GB,-DE,-FR,-NL")
        let plan = try FirewallPlan(policy: policy, database: database)
        let backend = NftablesBackend(namespace: .named(namespace.name))
        _ = try backend.apply(plan)
        // The record fits the kernel's limit even for big plans, in both modes.
        #expect(try backend.status().digest == plan.digest)
        #expect(try backend.status().sets.first { $0.name == "countries4" }?.elements == plan.countryRangeCount(.ipv4))
        let allowSix = try FirewallPlan(policy: GeoPolicy(mode: .allowOnlySelected, countries: "US,CA,GB,DE,FR,NL"), database: database)
        let otherNamespace = try ScratchNamespace()
        defer { otherNamespace.delete() }
        let other = NftablesBackend(namespace: .named(otherNamespace.name))
        _ = try other.apply(allowSix)
        #expect(try other.status().digest == allowSix.digest)
        #expect(try other.status().countries == ["CA", "DE", "FR", "GB", "NL", "US"])
        #expect(try other.apply(allowSix) == .unchanged(digest: allowSix.digest))
        for family in IPAddressFamily.allCases {
            // Block mode: the per-country verdict map; its keys together are the blocked set.
            let map = KernelNames.countryMap(family)
            let listed = try namespace.run("/usr/sbin/nft", ["-j", "list", "map", "inet", "geofilter", map])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any])
            let set = try #require((json["nftables"] as? [[String: Any]])?.compactMap { $0["map"] as? [String: Any] }.first, "\(listed.error)")
            let texts: [String] = (set["elem"] as? [Any] ?? []).compactMap { entry in
                let element = (entry as? [Any])?.first ?? entry
                if let single = element as? String { return single }
                if let prefix = (element as? [String: Any])?["prefix"] as? [String: Any] { return "\(prefix["addr"]!)/\(prefix["len"]!)" }
                if let range = (element as? [String: Any])?["range"] as? [String] { return "\(range[0])-\(range[1])" }
                return nil
            }
            let kernel = try CIDRSet(parsing: texts)
            #expect(kernel == plan.selected.restricted(to: family), "\(family)")
            #expect(texts.count == plan.countryRangeCount(family))
        }
    }
}

/// One line from a pipe (without the newline), blocking until a newline or the end of the
/// stream; nil at the end of the stream.
private func readLine(_ handle: FileHandle) -> String? {
    var bytes: [UInt8] = []
    while true {
        let data = handle.readData(ofLength: 1)
        guard let byte = data.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
        if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(byte)
    }
}
