import Foundation
import GeoFilterTestSupport
import Testing

@Suite("geofilter-demo plan and explain")
struct PlanCommandTests {
    let spec = "ipfire:\(TestEnvironment.fixture("ipfire/geoip")),\(TestEnvironment.fixture("ipfire/geoip6"))"

    @Test("explain prints IP, verdict and reason on its first line")
    func explain() throws {
        let drop = try DemoProcess.demo(["explain", "1.0.1.1", "--block", "CN", "--source", spec])
        #expect(drop.status == 0, "\(drop.standardError)")
        #expect(drop.standardOutput.split(separator: "\n").first == "1.0.1.1\tdrop\tcountry CN blocked")
        let labelled = try DemoProcess.demo(["explain", "1.0.1.1", "--block", "RU,CN", "--label", "cn=block-cn", "--source", spec])
        #expect(labelled.standardOutput.split(separator: "\n").first == "1.0.1.1\tdrop\tcountry CN blocked (block-cn)")
        let badLabel = try DemoProcess.demo(["explain", "1.0.1.1", "--block", "CN", "--label", "DE=x", "--source", spec])
        #expect(badLabel.status != 0 && badLabel.standardError.contains("--label 'DE=x'"))
        let trusted = try DemoProcess.demo(["explain", "1.0.1.1", "--block", "CN", "--trusted", "1.0.0.0/16", "--source", spec])
        #expect(trusted.standardOutput.split(separator: "\n").first == "1.0.1.1\taccept\ttrusted 1.0.0.0/16")
        let provider = try DemoProcess.demo(["explain", "2001:2::9", "--allow-only", "AU", "--provider", "2001:2::/48", "--source", spec])
        #expect(provider.standardOutput.split(separator: "\n").first == "2001:2::9\taccept\tprovider 2001:2::/48")
        let notAllowed = try DemoProcess.demo(["explain", "2001:2::9", "--allow-only", "AU", "--source", spec])
        #expect(notAllowed.standardOutput.split(separator: "\n").first == "2001:2::9\tdrop\tcountry JP not in allow list")
        let lan = try DemoProcess.demo(["explain", "192.168.7.7", "--allow-only", "AU", "--source", spec])
        #expect(lan.standardOutput.split(separator: "\n").first == "192.168.7.7\taccept\treserved space 192.168.0.0/16")
        let outside = try DemoProcess.demo(["explain", "1.0.1.1", "--block", "CN", "--service", "sip", "--destination", "tcp:443", "--source", spec])
        #expect(outside.standardOutput.hasPrefix("1.0.1.1\taccept\toutside the geo rule's scope"))
    }

    @Test("plan: summary with counts and representation, json with the digest, nft and ipset scripts")
    func formats() throws {
        let summary = try DemoProcess.demo(["plan", "--block", "CN,@EU,-DE", "--trusted", "10.0.0.0/8", "--source", spec])
        #expect(summary.status == 0, "\(summary.standardError)")
        #expect(summary.standardOutput.contains("selected v4: 1 ranges, 2 networks"))
        #expect(summary.standardOutput.contains("nftables IPv4: 1 intervals, the selected countries"))
        let json = try DemoProcess.demo(["plan", "--block", "CN,@EU,-DE", "--trusted", "10.0.0.0/8", "--source", spec, "--format", "json"])
        #expect(json.status == 0, "\(json.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any])
        let digest = try #require(object["digest"] as? String)
        #expect(digest.count == 64)
        #expect(summary.standardOutput.hasPrefix("GeoFilter plan sha256:\(digest)\n"))
        // Same policy, other order: same digest.
        let reordered = try DemoProcess.demo(["plan", "--block=-DE,@EU,CN", "--trusted", "10.0.0.0/9", "--trusted", "10.128.0.0/9", "--source", spec, "--format", "json"])
        #expect((try JSONSerialization.jsonObject(with: Data(reordered.standardOutput.utf8)) as? [String: Any])?["digest"] as? String == digest)
        let nft = try DemoProcess.demo(["plan", "--block", "CN", "--source", spec, "--format", "nft"])
        #expect(nft.standardOutput.contains("table inet geofilter {") && nft.standardOutput.contains("ip saddr vmap @countries4"))
        #expect(nft.standardOutput.contains("1.0.1.0-1.0.3.255 : jump country-CN"))
        let allowNft = try DemoProcess.demo(["plan", "--allow-only", "AU", "--source", spec, "--format", "nft"])
        #expect(allowNft.standardOutput.contains("ip saddr != @geo4 counter drop"))
        let ipset = try DemoProcess.demo(["plan", "--block", "CN", "--source", spec, "--format", "ipset"])
        #expect(ipset.standardOutput.contains("create geofilter-geo4 hash:net family inet"))
        #expect(ipset.standardOutput.contains("add geofilter-geo4 1.0.1.0/24"))
        #expect(ipset.standardOutput.contains("-A GEOFILTER -m set --match-set geofilter-geo4 src"))
    }

    @Test("--peers lists the peers the plan would cut off")
    func peers() throws {
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("peers.txt")
        try "# registered peers\n1.0.0.7 ext 201\n1.0.1.7\ttrunk-cn\n2001:2::7 ext 202\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try DemoProcess.demo(["plan", "--allow-only", "AU", "--provider", "1.0.1.0/24", "--source", spec, "--peers", file.path])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("impact: 1 of 3 peers would be cut off\ncut off\t2001:2::7\text 202\tcountry JP not in allow list\n"))
        try "1.0.0.7\nnot-an-address\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try DemoProcess.demo(["plan", "--allow-only", "AU", "--source", spec, "--peers", file.path])
        #expect(bad.status != 0 && bad.standardError.contains("\(file.path):2"))
    }

    @Test("Policy errors are one clear sentence")
    func errors() throws {
        let unknown = try DemoProcess.demo(["plan", "--block", "CN,QQ", "--source", spec])
        #expect(unknown.status != 0 && unknown.standardError.contains("'QQ'"))
        let both = try DemoProcess.demo(["plan", "--block", "CN", "--allow-only", "DE", "--source", spec])
        #expect(both.status != 0 && both.standardError.contains("exactly one"))
        let hostBits = try DemoProcess.demo(["plan", "--block", "CN", "--trusted", "10.0.0.1/8", "--source", spec])
        #expect(hostBits.status != 0 && hostBits.standardError.contains("10.0.0.1/8"))
        let service = try DemoProcess.demo(["plan", "--block", "CN", "--service", "smtp", "--source", spec])
        #expect(service.status != 0 && service.standardError.contains("'smtp' is not a service"))
    }

    @Test("Policies that filter nothing by accident are refused at once", arguments: [
        (["--block", ""], "selects no country"), (["--block", ",,,"], "selects no country"), (["--block=-CN"], "selects no country"),
        (["--block", "CN", "--trusted", "0.0.0.0/0"], "half or more"), (["--block", "CN", "--provider", "::/0"], "half or more"),
        (["--policy-file", "/dev/zero"], "is not a regular file"),
    ])
    func refusedPolicies(arguments: [String], phrase: String) throws {
        for command in ["plan", "explain 1.0.1.1"] {
            let words = command.split(separator: " ").map(String.init)
            let result = try DemoProcess.demo(words + arguments + ["--source", spec])
            #expect(result.status == 1 && result.standardError.contains(phrase), "\(command) \(arguments): \(result.standardError)")
            #expect(result.standardOutput.isEmpty)
        }
    }

    @Test("--force accepts a broad trusted network")
    func forced() throws {
        let result = try DemoProcess.demo(["explain", "1.0.1.1", "--block", "CN", "--trusted", "0.0.0.0/0", "--force", "--source", spec])
        #expect(result.status == 0 && result.standardOutput.hasPrefix("1.0.1.1\taccept\t"), "\(result.standardError)")
    }
}

@Suite("geofilter-demo apply, status, remove", .serialized)
struct ApplyCommandTests {
    static var enabled: Bool { TestEnvironment.isCI || getuid() == 0 }

    /// Runs `body` with a scratch network namespace's name, deleting it afterwards.
    private func withNamespace(_ body: (String) throws -> Void) throws {
        let name = "gfdemo-\(UInt32.random(in: 0...UInt32.max))"
        try #require(try DemoProcess.run("/usr/sbin/ip", ["netns", "add", name]).status == 0)
        defer { _ = try? DemoProcess.run("/usr/sbin/ip", ["netns", "delete", name]) }
        try body(name)
    }

    @Test("apply, re-apply, status --json, remove in a namespace", .enabled(if: enabled, "needs root for network namespaces"))
    func lifecycle() throws {
        let spec = "ipfire:\(TestEnvironment.fixture("ipfire/geoip")),\(TestEnvironment.fixture("ipfire/geoip6"))"
        try withNamespace { name in
            let applied = try DemoProcess.demo(["apply", "--block", "CN", "--source", spec, "--backend", "nftables", "--netns", name])
            #expect(applied.status == 0, "\(applied.standardError)")
            #expect(applied.standardOutput.hasPrefix("applied sha256:"))
            // The purge ran in the namespace (a fresh one tracks no connections) and says so.
            #expect(applied.standardOutput.contains("\npurged 0 of 0 connection-tracking entries\n"), "\(applied.standardOutput)")
            let again = try DemoProcess.demo(
                ["apply", "--block", "CN", "--source", spec, "--backend", "nftables", "--netns", name, "--no-conntrack-purge"])
            #expect(again.standardOutput.hasPrefix("unchanged sha256:"))
            #expect(!again.standardOutput.contains("connection-tracking"))
            let status = try DemoProcess.demo(["status", "--backend", "nftables", "--netns", name, "--json"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [String: Any])
            #expect(applied.standardOutput.contains(object["digest"] as? String ?? "none"))
            #expect(object["countries"] as? [String] == ["CN"])
            #expect((object["countryCounters"] as? [[String: Any]])?.first?["country"] as? String == "CN")
            // When it was applied and the data behind it (source, date, age, staleness).
            #expect((object["appliedAt"] as? String)?.hasPrefix("20") == true, "\(status.standardOutput)")
            let data = try #require(object["data"] as? [String: Any])
            #expect((data["description"] as? String)?.isEmpty == false && data["stale"] is Bool)
            let text = try DemoProcess.demo(["status", "--backend", "nftables", "--netns", name]).standardOutput
            #expect(text.contains("\napplied:   ") && text.contains("\ndata:      "), "\(text)")
            #expect(try DemoProcess.demo(["remove", "--backend", "nftables", "--netns", name]).standardOutput == "removed\n")
            #expect(try DemoProcess.demo(["status", "--backend", "nftables", "--netns", name]).standardOutput.hasPrefix("no GeoFilter plan"))
        }
    }

    @Test("ipset backend: apply, re-apply, status, remove in a namespace", .enabled(if: enabled, "needs root for network namespaces"))
    func ipsetLifecycle() throws {
        let spec = "ipfire:\(TestEnvironment.fixture("ipfire/geoip")),\(TestEnvironment.fixture("ipfire/geoip6"))"
        try withNamespace { name in
            let apply = ["apply", "--block", "CN,AU", "--source", spec, "--backend", "ipset", "--netns", name, "--ipset-reduce", "20"]
            let applied = try DemoProcess.demo(apply)
            #expect(applied.status == 0, "\(applied.standardError)")
            #expect(applied.standardOutput.hasPrefix("applied sha256:"))
            #expect(try DemoProcess.demo(apply).standardOutput.hasPrefix("unchanged sha256:"))
            // Filtering forwarded traffic too, then no longer: the FORWARD jump comes and goes.
            let iptablesSave = ["netns", "exec", name, "iptables-save"]
            #expect(try DemoProcess.demo(apply + ["--forward"]).status == 0)
            #expect(try DemoProcess.run("/usr/sbin/ip", iptablesSave).standardOutput.contains("-A FORWARD -j GEOFILTER"))
            #expect(try DemoProcess.demo(apply).standardOutput.hasPrefix("applied sha256:"))
            let saved = try DemoProcess.run("/usr/sbin/ip", iptablesSave).standardOutput
            #expect(!saved.contains("-A FORWARD -j GEOFILTER") && saved.contains("-A INPUT -j GEOFILTER"), "\(saved)")
            let status = try DemoProcess.demo(["status", "--backend", "ipset", "--netns", name])
            #expect(status.standardOutput.contains("backend:   ipset") && status.standardOutput.contains("countries: 2: AU CN"), "\(status.standardOutput)")
            #expect(status.standardOutput.contains("geofilter-geo4"))
            let sets = try DemoProcess.run("/usr/sbin/ip", ["netns", "exec", name, "ipset", "list", "-n"]).standardOutput
            #expect(sets.contains("geofilter-geo4") && sets.contains("geofilter-meta"))
            #expect(try DemoProcess.demo(["remove", "--backend", "ipset", "--netns", name]).standardOutput == "removed\n")
            #expect(try DemoProcess.run("/usr/sbin/ip", ["netns", "exec", name, "ipset", "list", "-n"]).standardOutput == "")
            #expect(try DemoProcess.demo(["status", "--backend", "ipset", "--netns", name]).standardOutput.hasPrefix("no GeoFilter plan"))
        }
    }

    @Test("Without libipset the ipset backend is unavailable, in a sentence; nftables still works")
    func withoutLibipset() throws {
        let result = try DemoProcess.run(
            "/usr/bin/env", ["GEOFILTER_LIBIPSET=/nonexistent/libipset.so.13", DemoProcess.executable.path, "apply", "--block", "CN", "--backend", "ipset"])
        #expect(result.status == 1)
        #expect(result.standardError.contains("ipset unavailable: libipset is not installed (Debian: apt-get install libipset13)"), "\(result.standardError)")
        let plan = try DemoProcess.run("/usr/bin/env", ["GEOFILTER_LIBIPSET=/nonexistent/libipset.so.13", DemoProcess.executable.path, "plan", "--block", "CN"])
        #expect(plan.status == 0)
    }

    @Test("Without CAP_NET_ADMIN the error says so", .enabled(if: enabled && TestEnvironment.which("setpriv") != nil, "needs root and setpriv"))
    func withoutPrivilege() throws {
        // A copy that the unprivileged user can reach, with the resources beside it.
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let built = DemoProcess.executable.deletingLastPathComponent()
        for item in ["geofilter-demo", "GeoFilter_GeoFilterBundledData.resources"] {
            try FileManager.default.copyItem(at: built.appendingPathComponent(item), to: folder.appendingPathComponent(item))
        }
        _ = try DemoProcess.run("/bin/chmod", ["-R", "a+rX", folder.path])
        try withNamespace { name in
            let result = try DemoProcess.run(
                "/usr/sbin/ip",
                ["netns", "exec", name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 folder.appendingPathComponent("geofilter-demo").path, "status", "--backend", "nftables"])
            #expect(result.status != 0)
            #expect(result.standardError.contains("needs CAP_NET_ADMIN"), "\(result.standardError)")
            // The ipset backend: the seed's "ipset unavailable" state, as a sentence.
            let ipset = try DemoProcess.run(
                "/usr/sbin/ip",
                ["netns", "exec", name, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 folder.appendingPathComponent("geofilter-demo").path, "apply", "--block", "CN", "--backend", "ipset"])
            #expect(ipset.status != 0)
            #expect(ipset.standardError.contains("ipset unavailable: ipset needs CAP_NET_ADMIN"), "\(ipset.standardError)")
        }
    }
}
