import Foundation
import GeoFilterBundledData
import Testing

@testable import GeoFilterCore

@Suite("EnforcementStateStore: boot state")
struct EnforcementStateTests {
    private func folder() throws -> String {
        let path = NSTemporaryDirectory() + "geofilter-state-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("A stored state compiles again to the same digest, from the stored data alone")
    func roundTrip() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = EnforcementStateStore(directory: directory + "/state")
        #expect(try store.load() == nil)
        let original = try plan(.blockSelected, "CN,AU", trusted: ["10.0.0.0/8"])
        try store.save(EnforcementState(plan: original, backend: "ipset", backendSettings: ["ipset-reduce": "20"]))
        let loaded = try #require(try store.load())
        #expect(loaded.digest == original.digest && loaded.backend == "ipset" && loaded.backendSettings == ["ipset-reduce": "20"])
        #expect(try loaded.plan().digest == original.digest)
        #expect(store.storedDigest() == original.digest)
        let restorable = try store.loadForRestore()
        #expect(restorable.fallback == nil && restorable.backend == "ipset")
        #expect(try restorable.plan().digest == original.digest)
        // policy.json is the policy alone, as --policy-file reads it.
        #expect(try GeoPolicy.load(path: store.policyPath) == original.policy)
        // A second save replaces the first and leaves one snapshot.
        let second = try plan(.allowOnlySelected, "AU")
        try store.save(EnforcementState(plan: second, backend: "nftables"))
        #expect(try store.load()?.digest == second.digest)
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: store.directory).filter { $0.hasSuffix(".gfsnap") }
        #expect(snapshots.count == 1)
    }

    @Test("A killed save leaves the previous state whole; its leftovers are cleaned by the next save")
    func killedSave() throws {
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = EnforcementStateStore(directory: directory)
        let first = try plan(.blockSelected, "CN")
        try store.save(EnforcementState(plan: first, backend: "nftables"))
        // A save killed after writing its snapshot and part of a temporary manifest.
        let next = try EnforcementState(plan: try plan(.blockSelected, "AU"), backend: "nftables")
        let hash = SHA256.hex(SHA256.hash(next.snapshot))
        try Data(next.snapshot).write(to: URL(fileURLWithPath: "\(directory)/data-\(hash.prefix(16)).gfsnap"))
        try Data("{\"format\": 1, \"dig".utf8).write(to: URL(fileURLWithPath: "\(directory)/.tmp-state.json-1-2"))
        #expect(try store.load()?.digest == first.digest)
        #expect(try store.loadForRestore().fallback == nil)
        try store.save(next)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(!names.contains { $0.hasPrefix(".tmp-") })
        #expect(try store.load()?.digest == next.digest)
    }

    @Test("Corrupt or missing stored data: the stored policy with the bundled data, and why")
    func fallbacks() throws {
        GeoFilterBundledData.register()
        let directory = try folder()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = EnforcementStateStore(directory: directory)
        let original = try plan(.blockSelected, "CN,RU")
        try store.save(EnforcementState(plan: original, backend: "ipset"))
        let snapshot = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasSuffix(".gfsnap") })
        // One flipped byte in the snapshot.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(snapshot)")))
        bytes[bytes.count / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: "\(directory)/\(snapshot)"))
        #expect(throws: GeoFilterError.self) { try store.load() }
        let corrupt = try store.loadForRestore()
        #expect(corrupt.fallback?.contains("is unusable") == true && corrupt.fallback?.contains("bundled data") == true, "\(corrupt.fallback ?? "")")
        #expect(corrupt.policy == original.policy && corrupt.backend == "ipset")
        #expect(try corrupt.plan().digest != original.digest)  // the bundled data, not the fixture
        // The snapshot gone.
        try FileManager.default.removeItem(atPath: "\(directory)/\(snapshot)")
        #expect(try store.loadForRestore().fallback?.contains("is unusable") == true)
        // The manifest corrupt, then gone: policy.json with the bundled data.
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: store.manifestPath))
        let badManifest = try store.loadForRestore()
        #expect(badManifest.fallback?.contains("state.json is unusable") == true && badManifest.policy == original.policy)
        #expect(badManifest.backend == nil)
        try FileManager.default.removeItem(atPath: store.manifestPath)
        let noManifest = try store.loadForRestore()
        #expect(noManifest.fallback?.contains("state.json is missing") == true && noManifest.policy == original.policy)
        // The policy unreadable too: an error naming the file.
        try Data("[]".utf8).write(to: URL(fileURLWithPath: store.policyPath))
        #expect { try store.loadForRestore() } throws: { ($0 as? GeoFilterError)?.location?.path == store.policyPath }
        // Nothing stored at all.
        try FileManager.default.removeItem(atPath: store.policyPath)
        #expect { try store.loadForRestore() } throws: { "\($0)".contains("holds no stored state") }
    }
}

@Suite("Lockout guard")
struct LockoutCheckTests {
    @Test("Addresses the plan would drop are reported with the verdict; others are not")
    func check() throws {
        let plan = try plan(.blockSelected, "CN")
        let kept = [
            ProtectedAddress(address: try IPAddress(parsing: "1.0.1.7"), origin: .kept),
            ProtectedAddress(address: try IPAddress(parsing: "1.0.0.7"), origin: .kept),
            ProtectedAddress(address: try IPAddress(parsing: "1.0.1.7"), origin: .peer(label: "trunk")),
            ProtectedAddress(address: try IPAddress(parsing: "1.0.1.9"), origin: .peer(label: "ext 201")),
        ]
        let risks = plan.lockoutCheck(keeping: kept)
        #expect(risks.map { "\($0)" } == ["1.0.1.7\t--keep\tcountry CN blocked", "1.0.1.9\tpeer ext 201\tcountry CN blocked"])
        #expect(try GeoFilterCoreTests.plan(.blockSelected, "CN", trusted: ["1.0.1.0/24"]).lockoutCheck(keeping: kept).isEmpty)
    }

    @Test("SSH_CONNECTION gives the client, with the server's port", arguments: [
        ("1.0.1.7 52113 192.0.2.1 22", "1.0.1.7", UInt16(22)), ("::ffff:1.0.1.7 52113 ::ffff:192.0.2.1 2222", "1.0.1.7", 2222),
        ("fe80::1%eth0 4000 fe80::2%eth0 22", "fe80::1", 22), ("2001:2::9 1 2001:db8::1 22", "2001:2::9", 22),
    ])
    func sshConnection(value: String, client: String, port: UInt16) throws {
        let session = try #require(ProtectedAddress.sshClient(value))
        #expect(session.address == (try IPAddress(parsing: client)) && session.port == port && session.transport == .tcp)
        #expect(session.origin == .session)
    }

    @Test("Malformed SSH_CONNECTION values give nothing", arguments: ["", "1.0.1.7", "1.0.1.7 1 2", "host 1 2.2.2.2 22"])
    func malformedSSHConnection(value: String) {
        #expect(ProtectedAddress.sshClient(value) == nil)
    }

    @Test("A geo rule scoped to SIP leaves an SSH session alone but cuts off the same address's SIP")
    func scoped() throws {
        var policy = try GeoPolicy(mode: .blockSelected, countries: "CN")
        policy.scope = ServiceScope(rules: try ServiceScope.service("sip"))
        let plan = try FirewallPlan(policy: policy, database: fixtureDatabase())
        let session = try #require(ProtectedAddress.sshClient("1.0.1.7 5000 192.0.2.1 22"))
        #expect(plan.lockoutCheck(keeping: [session]).isEmpty)
        let sip = ProtectedAddress(address: session.address, origin: .kept, transport: .udp, port: 5060)
        #expect(plan.lockoutCheck(keeping: [sip]).count == 1)
    }
}
