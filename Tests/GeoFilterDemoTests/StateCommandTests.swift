import Foundation
import GeoFilterTestSupport
import Testing

/// `apply --state`, `restore`, the lockout guard and `--confirm-within`/`confirm`, against the
/// real kernel in scratch network namespaces (`gfst-...`, deleted afterwards, also on failure).
@Suite("geofilter-demo restore, lockout guard, confirm", .serialized)
struct StateCommandTests {
    static var enabled: Bool { TestEnvironment.isCI || getuid() == 0 }
    static let spec = "ipfire:\(TestEnvironment.fixture("ipfire/geoip")),\(TestEnvironment.fixture("ipfire/geoip6"))"

    /// A scratch namespace and a runtime directory of the test's own.
    struct Scratch {
        let name: String
        let folder: URL

        var runtime: String { folder.appendingPathComponent("run").path }
        var state: String { folder.appendingPathComponent("state").path }

        /// `ip netns exec NAME env ... geofilter-demo ARGS` (no SSH_CONNECTION unless given).
        func demo(_ arguments: [String], ssh: String? = nil) throws -> ProcessResult {
            try DemoProcess.run("/usr/sbin/ip", ["netns", "exec", name] + environment(ssh: ssh) + [DemoProcess.executable.path] + arguments)
        }

        func environment(ssh: String? = nil) -> [String] {
            ["/usr/bin/env", "-u", "SSH_CONNECTION", "GEOFILTER_RUNTIME_DIRECTORY=\(runtime)"] + (ssh.map { ["SSH_CONNECTION=\($0)"] } ?? [])
        }

        func run(_ program: String, _ arguments: [String]) throws -> ProcessResult {
            try DemoProcess.run("/usr/sbin/ip", ["netns", "exec", name, program] + arguments)
        }

        /// The digest `status --json` reports (nil when nothing is installed).
        func digest(_ backend: String = "nftables") throws -> String? {
            let status = try demo(["status", "--backend", backend, "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [String: Any]
            return object?["digest"] as? String
        }

        /// Polls `status --json` until the digest is `expected` or `seconds` pass.
        func waitForDigest(_ expected: String?, within seconds: Double, backend: String = "nftables") throws -> String? {
            let deadline = Date().addingTimeInterval(seconds)
            var seen = try digest(backend)
            while seen != expected && Date() < deadline {
                usleep(100_000)
                seen = try digest(backend)
            }
            return seen
        }
    }

    private func withScratch(_ body: (Scratch) throws -> Void) throws {
        let name = "gfst-\(UInt32.random(in: 0...UInt32.max))"
        let folder = try TestEnvironment.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try #require(try DemoProcess.run("/usr/sbin/ip", ["netns", "add", name]).status == 0)
        defer { _ = try? DemoProcess.run("/usr/sbin/ip", ["netns", "delete", name]) }
        try body(Scratch(name: name, folder: folder))
    }

    private static func digest(of result: ProcessResult) -> String? {
        guard let range = result.standardOutput.range(of: "sha256:") else { return nil }
        return String(result.standardOutput[range.upperBound...].prefix(64))
    }

    @Test("nftables: after a flush (a reboot), restore brings back the same digest from the state alone", .enabled(if: enabled, "needs root for network namespaces"))
    func restoreNftables() throws {
        try withScratch { scratch in
            let applied = try scratch.demo(["apply", "--block", "CN,AU", "--trusted", "10.0.0.0/8", "--source", Self.spec, "--backend", "nftables", "--state", scratch.state])
            #expect(applied.status == 0, "\(applied.standardError)")
            let digest = try #require(Self.digest(of: applied))
            #expect(try scratch.run("/usr/sbin/nft", ["flush", "ruleset"]).status == 0)
            #expect(try scratch.digest() == nil)
            // No data source: the namespace has no network, and restore takes none.
            let restored = try scratch.demo(["restore", "--state", scratch.state])
            #expect(restored.status == 0 && restored.standardOutput == "restored sha256:\(digest) (nftables)\n", "\(restored.standardError)")
            #expect(restored.standardError.isEmpty)
            #expect(try scratch.digest() == digest)
            #expect(try scratch.demo(["restore", "--state", scratch.state]).standardOutput.hasPrefix("unchanged sha256:\(digest)"))

            // Corrupt data: one sentence, then the stored policy with the bundled data.
            let snapshot = try #require(try FileManager.default.contentsOfDirectory(atPath: scratch.state).first { $0.hasSuffix(".gfsnap") })
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: "\(scratch.state)/\(snapshot)"))
            #expect(try scratch.run("/usr/sbin/nft", ["flush", "ruleset"]).status == 0)
            let fallback = try scratch.demo(["restore", "--state", scratch.state])
            #expect(fallback.status == 0, "\(fallback.standardError)")
            #expect(fallback.standardError.hasPrefix("geofilter-demo: warning: the stored data") && fallback.standardError.contains("bundled data"))
            #expect(fallback.standardError.split(separator: "\n").count == 1, "\(fallback.standardError)")
            let bundled = try #require(try scratch.digest())
            #expect(bundled != digest)

            // State file gone: policy.json with the bundled data.
            try FileManager.default.removeItem(atPath: "\(scratch.state)/state.json")
            let noState = try scratch.demo(["restore", "--state", scratch.state, "--backend", "nftables"])
            #expect(noState.status == 0 && noState.standardError.contains("state.json is missing"), "\(noState.standardError)")

            // The policy unreadable too: a clear error, non-zero exit.
            try Data("{\"mode\": 7}".utf8).write(to: URL(fileURLWithPath: "\(scratch.state)/policy.json"))
            let broken = try scratch.demo(["restore", "--state", scratch.state, "--backend", "nftables"])
            #expect(broken.status == 1 && broken.standardError.contains("policy.json") && broken.standardError.contains("not a valid policy"), "\(broken.standardError)")
            let empty = try scratch.demo(["restore", "--state", scratch.folder.appendingPathComponent("none").path])
            #expect(empty.status == 1 && empty.standardError.contains("holds no stored state"), "\(empty.standardError)")
            #expect(try scratch.demo(["remove", "--backend", "nftables"]).status == 0)
        }
    }

    @Test("ipset: after the sets and rules are gone (a reboot), restore brings back the same digest", .enabled(if: enabled, "needs root for network namespaces"))
    func restoreIPSet() throws {
        try withScratch { scratch in
            let applied = try scratch.demo(["apply", "--block", "CN", "--source", Self.spec, "--backend", "ipset", "--ipset-reduce", "20", "--state", scratch.state])
            #expect(applied.status == 0, "\(applied.standardError)")
            let digest = try #require(Self.digest(of: applied))
            for tool in ["iptables", "ip6tables"] {
                _ = try scratch.run("/usr/sbin/\(tool)", ["-F"])
                _ = try scratch.run("/usr/sbin/\(tool)", ["-X"])
            }
            #expect(try scratch.run("/usr/sbin/ipset", ["destroy"]).status == 0)
            #expect(try scratch.digest("ipset") == nil)
            let restored = try scratch.demo(["restore", "--state", scratch.state])
            #expect(restored.status == 0 && restored.standardOutput == "restored sha256:\(digest) (ipset)\n", "\(restored.standardError)")
            #expect(try scratch.digest("ipset") == digest)
            #expect(try scratch.run("/usr/sbin/iptables-save", []).standardOutput.contains("-A INPUT -j GEOFILTER"))
            #expect(try scratch.demo(["remove", "--backend", "ipset"]).status == 0)
        }
    }

    @Test("apply --state killed at random moments: the state is always the old plan or the new one, whole", .enabled(if: enabled, "needs root for network namespaces"))
    func killedStateWrites() throws {
        try withScratch { scratch in
            let old = try scratch.demo(["apply", "--block", "CN", "--source", Self.spec, "--backend", "nftables", "--state", scratch.state])
            let oldDigest = try #require(Self.digest(of: old))
            let new = try scratch.demo(["plan", "--block", "CN,AU", "--source", Self.spec, "--format", "json"])
            let newDigest = try #require((try JSONSerialization.jsonObject(with: Data(new.standardOutput.utf8)) as? [String: Any])?["digest"] as? String)
            for round in 0..<6 {
                let blocks = round % 2 == 0 ? "CN,AU" : "CN"
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
                process.arguments = ["netns", "exec", scratch.name] + scratch.environment()
                    + [DemoProcess.executable.path, "apply", "--block", blocks, "--source", Self.spec, "--backend", "nftables", "--state", scratch.state]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                usleep(UInt32.random(in: 50_000...400_000))
                kill(process.processIdentifier, SIGKILL)
                _ = waitForExit(process)
                #expect(try scratch.run("/usr/sbin/nft", ["flush", "ruleset"]).status == 0)
                let restored = try scratch.demo(["restore", "--state", scratch.state])
                #expect(restored.status == 0 && restored.standardError.isEmpty, "round \(round): \(restored.standardError)")
                let digest = Self.digest(of: restored)
                #expect(digest == oldDigest || digest == newDigest, "round \(round): \(restored.standardOutput)")
            }
        }
    }

    @Test("A plan that would drop --keep, the SSH client or a peer is refused unless --force", .enabled(if: enabled, "needs root for network namespaces"))
    func lockoutGuard() throws {
        try withScratch { scratch in
            let apply = ["apply", "--block", "CN", "--source", Self.spec, "--backend", "nftables"]
            let kept = try scratch.demo(apply + ["--keep", "1.0.1.7", "--keep", "1.0.0.7"])
            #expect(kept.status == 1)
            #expect(kept.standardError.contains("cut off\t1.0.1.7\t--keep\tcountry CN blocked\n"), "\(kept.standardError)")
            #expect(!kept.standardError.contains("1.0.0.7"))
            #expect(kept.standardError.contains("nothing was applied") && kept.standardError.contains("--force"))
            #expect(kept.standardOutput.isEmpty)
            #expect(try scratch.digest() == nil)

            let session = try scratch.demo(apply, ssh: "1.0.1.8 51234 192.0.2.1 22")
            #expect(session.status == 1 && session.standardError.contains("1.0.1.8\tyour SSH session (SSH_CONNECTION)\tcountry CN blocked"), "\(session.standardError)")
            #expect(try scratch.digest() == nil)

            let peers = scratch.folder.appendingPathComponent("peers.txt")
            try "1.0.0.9 ext 201\n1.0.1.9 trunk-cn\n".write(to: peers, atomically: true, encoding: .utf8)
            let peer = try scratch.demo(apply + ["--peers", peers.path])
            #expect(peer.status == 1 && peer.standardError.contains("1.0.1.9\tpeer trunk-cn\tcountry CN blocked"), "\(peer.standardError)")
            #expect(try scratch.digest() == nil)

            // A session the plan leaves alone, or a trusted network around it: applied.
            let safe = try scratch.demo(apply + ["--trusted", "1.0.1.0/24", "--keep", "1.0.1.7"], ssh: "1.0.1.8 51234 192.0.2.1 22")
            #expect(safe.status == 0 && safe.standardOutput.hasPrefix("applied sha256:"), "\(safe.standardError)")

            let forced = try scratch.demo(apply + ["--keep", "1.0.1.7", "--force"], ssh: "1.0.1.8 51234 192.0.2.1 22")
            #expect(forced.status == 0 && forced.standardOutput.hasPrefix("applied sha256:"), "\(forced.standardError)")
            #expect(forced.standardError.contains("1.0.1.7") && forced.standardError.contains("1.0.1.8"))
            #expect(try scratch.digest() == Self.digest(of: forced))
            #expect(try scratch.demo(["remove", "--backend", "nftables"]).status == 0)
        }
    }

    @Test("--confirm-within 3 without confirm: the previous plan is back in time", .enabled(if: enabled, "needs root for network namespaces"), arguments: ["nftables", "ipset"])
    func unconfirmed(backend: String) throws {
        try withScratch { scratch in
            let first = try scratch.demo(["apply", "--block", "CN", "--source", Self.spec, "--backend", backend])
            let previous = try #require(Self.digest(of: first))
            let second = try scratch.demo(["apply", "--block", "CN,AU", "--source", Self.spec, "--backend", backend, "--confirm-within", "3"])
            #expect(second.status == 0, "\(second.standardError)")
            let next = try #require(Self.digest(of: second))
            #expect(next != previous)
            #expect(second.standardOutput.contains("confirm within 3 seconds with `geofilter-demo confirm --backend \(backend)`; otherwise sha256:\(previous) comes back"))
            #expect(try scratch.digest(backend) == next)
            let status = try scratch.demo(["status", "--backend", backend, "--json"])
            let object = try JSONSerialization.jsonObject(with: Data(status.standardOutput.utf8)) as? [String: Any]
            #expect((object?["pendingConfirmation"] as? [String: Any])?["previousDigest"] as? String == previous, "\(status.standardOutput)")
            #expect(try scratch.waitForDigest(previous, within: 10, backend: backend) == previous)
            #expect(!(try scratch.demo(["status", "--backend", backend, "--json"]).standardOutput.contains("pendingConfirmation")))
            let late = try scratch.demo(["confirm", "--backend", backend])
            #expect(late.status == 1 && late.standardError.contains("too late"), "\(late.standardError)")
            // No plan before: the rules go.
            #expect(try scratch.demo(["remove", "--backend", backend]).status == 0)
            let fresh = try scratch.demo(["apply", "--block", "CN", "--source", Self.spec, "--backend", backend, "--confirm-within", "2"])
            #expect(fresh.standardOutput.contains("otherwise GeoFilter's rules are removed"), "\(fresh.standardOutput)")
            #expect(try scratch.waitForDigest(nil, within: 10, backend: backend) == nil)
        }
    }

    @Test("--confirm-within 3, the applying process killed with SIGKILL right after 'applied': the previous plan is back", .enabled(if: enabled, "needs root for network namespaces"))
    func killedApplier() throws {
        try withScratch { scratch in
            let first = try scratch.demo(["apply", "--block", "CN", "--source", Self.spec, "--backend", "nftables"])
            let previous = try #require(Self.digest(of: first))
            // In a session of its own (setsid), so the whole group can be killed at once: the
            // watchdog must be outside it.
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
            process.arguments = ["/usr/sbin/ip", "netns", "exec", scratch.name] + scratch.environment()
                + [DemoProcess.executable.path, "apply", "--block", "CN,AU", "--source", Self.spec, "--backend", "nftables", "--confirm-within", "3"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            while !text.contains("applied") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            kill(-process.processIdentifier, SIGKILL)
            kill(process.processIdentifier, SIGKILL)
            _ = waitForExit(process)
            #expect(text.hasPrefix("applied sha256:"), "\(text)")
            #expect(try scratch.waitForDigest(previous, within: 10) == previous)
        }
    }

    @Test("confirm in time: the new plan stays, stored for boot; a second confirm says so", .enabled(if: enabled, "needs root for network namespaces"))
    func confirmed() throws {
        try withScratch { scratch in
            let first = try scratch.demo(["apply", "--block", "CN", "--source", Self.spec, "--backend", "nftables", "--state", scratch.state])
            let previous = try #require(Self.digest(of: first))
            let second = try scratch.demo(
                ["apply", "--block", "CN,AU", "--source", Self.spec, "--backend", "nftables", "--state", scratch.state, "--confirm-within", "3"])
            let next = try #require(Self.digest(of: second))
            let confirmed = try scratch.demo(["confirm", "--backend", "nftables"])
            #expect(confirmed.status == 0 && confirmed.standardOutput == "confirmed sha256:\(next)\n", "\(confirmed.standardError)")
            usleep(4_000_000)
            #expect(try scratch.digest() == next)
            let again = try scratch.demo(["confirm", "--backend", "nftables"])
            #expect(again.status == 0 && again.standardOutput == "already confirmed sha256:\(next)\n")
            // The state now holds the confirmed plan.
            #expect(try scratch.run("/usr/sbin/nft", ["flush", "ruleset"]).status == 0)
            #expect(try scratch.demo(["restore", "--state", scratch.state]).standardOutput.hasPrefix("restored sha256:\(next)"))
            #expect(previous != next)
        }
    }
}

@Suite struct SystemdUnitTests {
    @Test(
        "systemd-analyze verify passes on Packaging/systemd",
        .enabled(if: TestEnvironment.has(programs: ["systemd-analyze"]), "needs systemd-analyze (Debian: systemd)"))
    func verify() throws {
        var script = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { script.deleteLastPathComponent() }
        script.appendPathComponent("Packaging/systemd/verify.sh")
        let result = try DemoProcess.run(script.path, [DemoProcess.executable.path])
        #expect(result.status == 0, "\(result.standardError)")
    }
}
