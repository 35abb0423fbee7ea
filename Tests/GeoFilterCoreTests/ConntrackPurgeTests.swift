import Foundation
import GeoFilterTestSupport
import SystemPackage
import Testing

@testable import GeoFilterCore

// MARK: - Scratch namespaces of these tests

/// A server and a client namespace (`gfct-s-N`, `gfct-c-N`) joined by a veth pair, like
/// ``ScratchLink``, with real country source addresses on the client: CN 1.0.1.1 and 1.0.1.2,
/// AU 1.0.0.1, JP 2001:2::1, US 2001:4:112::1. The server has a host firewall table whose rule
/// uses conntrack (a fresh namespace tracks nothing until some rule does) and no other rules.
/// Deleted by ``delete()``.
private struct ConntrackLink {
    let server: String
    let client: String
    static let serverIPv4 = "10.99.0.1"
    static let serverIPv6 = "2001:db8:99::1"
    static let clientAddresses = ["1.0.1.1/32", "1.0.1.2/32", "1.0.0.1/32", "2001:2::1/128", "2001:4:112::1/128"]
    static let ip = "/usr/sbin/ip"
    static let conntrack = "/usr/sbin/conntrack"

    init() throws {
        let suffix = UInt32.random(in: 0...UInt32.max)
        server = "gfct-s-\(suffix)"
        client = "gfct-c-\(suffix)"
        do {
            try setUp()
        } catch {
            delete()
            throw error
        }
    }

    private func setUp() throws {
        let serverMAC = "02:00:00:98:00:01"
        let clientMAC = "02:00:00:98:00:02"
        var steps: [(String?, [String])] = [
            (nil, ["netns", "add", server]), (nil, ["netns", "add", client]),
            (nil, [
                "link", "add", "gfs0", "address", serverMAC, "netns", server, "type", "veth", "peer", "name", "gfc0",
                "address", clientMAC, "netns", client,
            ]),
            (server, ["link", "set", "lo", "up"]), (client, ["link", "set", "lo", "up"]),
            (server, ["link", "set", "gfs0", "up"]), (client, ["link", "set", "gfc0", "up"]),
            (server, ["addr", "add", "\(Self.serverIPv4)/24", "brd", "+", "dev", "gfs0"]),
            (server, ["addr", "add", "\(Self.serverIPv6)/64", "dev", "gfs0", "nodad"]),
            (server, ["route", "add", "1.0.0.0/16", "dev", "gfs0"]),
            (server, ["-6", "route", "add", "2001::/16", "dev", "gfs0"]),
            (client, ["route", "add", "10.99.0.0/24", "dev", "gfc0"]),
            (client, ["-6", "route", "add", "2001:db8:99::/64", "dev", "gfc0"]),
            (client, ["neigh", "replace", Self.serverIPv4, "lladdr", serverMAC, "dev", "gfc0", "nud", "permanent"]),
            (client, ["neigh", "replace", Self.serverIPv6, "lladdr", serverMAC, "dev", "gfc0", "nud", "permanent"]),
        ]
        for address in Self.clientAddresses {
            steps.append((client, ["addr", "add", address, "dev", "gfc0"] + (address.contains(":") ? ["nodad"] : [])))
            // Fixed neighbours: no neighbour discovery for a filter to drop.
            let host = String(address.split(separator: "/")[0])
            steps.append((server, ["neigh", "replace", host, "lladdr", clientMAC, "dev", "gfs0", "nud", "permanent"]))
        }
        for (namespace, arguments) in steps {
            let result = try namespace.map { try run(in: $0, Self.ip, arguments) } ?? runProcess(Self.ip, arguments)
            guard result.status == 0 else {
                throw GeoFilterTestError("ip \(arguments.joined(separator: " ")): \(result.standardError)")
            }
        }
        // The host's own firewall: conntrack on, established flows accepted (the usual first rule).
        let host = """
            table inet gfct-host {
                chain input {
                    type filter hook input priority 0; policy accept;
                    ct state established,related accept
                }
            }
            """
        let result = try run(in: server, "/usr/sbin/nft", ["-f", "-"], input: host)
        guard result.status == 0 else { throw GeoFilterTestError("nft -f: \(result.standardError)") }
    }

    /// Deletes both namespaces and everything in them.
    func delete() {
        _ = try? runProcess(Self.ip, ["netns", "delete", client])
        _ = try? runProcess(Self.ip, ["netns", "delete", server])
    }

    func run(in namespace: String, _ program: String, _ arguments: [String], input: String? = nil) throws -> ProcessResult {
        try runProcess(Self.ip, ["netns", "exec", namespace, program] + arguments, input: input)
    }

    /// The server's conntrack entries as `conntrack -L` lists them with `filter` (the oracle).
    func listed(_ filter: [String] = []) throws -> [String] {
        var lines: [String] = []
        // conntrack refuses an address filter of the other family.
        let address = filter.firstIndex(of: "-s").map { filter[$0 + 1] }
        let families = address.map { [$0.contains(":") ? "ipv6" : "ipv4"] } ?? ["ipv4", "ipv6"]
        for family in families {
            let result = try run(in: server, Self.conntrack, ["-L", "-f", family] + filter)
            guard result.status == 0 else { throw GeoFilterTestError("conntrack -L: \(result.standardError)") }
            lines += result.standardOutput.split(separator: "\n").map(String.init)
        }
        return lines
    }
}

/// One UDP flow from a client address and port to a server port (the same 5-tuple each time, so
/// the same conntrack entry).
private struct Flow: CustomStringConvertible {
    var source: String
    var sourcePort: Int
    var port: Int
    var description: String { "\(source),\(sourcePort),\(port)" }
}

/// A UDP echo server in the server namespace on some ports that logs every datagram
/// (`SOURCE SPORT PORT`). Stopped by ``stop()``.
private final class Listener {
    private let process: Process
    private let log: String

    private static let script = """
        import select, socket, sys
        log = open(sys.argv[1], "a", buffering=1)
        sockets = []
        for port in sys.argv[2:]:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", int(port)))
            sockets.append(s)
        log.write("ready\\n")
        while True:
            ready, _, _ = select.select(sockets, [], [])
            for s in ready:
                data, peer = s.recvfrom(2048)
                log.write("%s %d %d\\n" % (peer[0], peer[1], s.getsockname()[1]))
                s.sendto(data, peer)
        """

    init(_ link: ConntrackLink, ports: [Int]) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("gfct-listener-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: log, contents: Data())
        process = Process()
        process.executableURL = URL(fileURLWithPath: ConntrackLink.ip)
        process.arguments = ["netns", "exec", link.server, "/usr/bin/python3", "-c", Self.script, log] + ports.map(String.init)
        try process.run()
        for _ in 0..<100 where !lines().contains("ready") { Thread.sleep(forTimeInterval: 0.05) }
        guard lines().contains("ready") else {
            stop()
            throw GeoFilterTestError("the UDP listener did not start")
        }
    }

    func stop() {
        // SIGKILL: the test process blocks SIGTERM, and its children inherit the mask.
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(process)
        try? FileManager.default.removeItem(atPath: log)
    }

    private func lines() -> [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// How many datagrams of `flow` the listener received.
    func received(_ flow: Flow) -> Int {
        lines().filter { $0 == "\(flow.source) \(flow.sourcePort) \(flow.port)" }.count
    }
}

/// Sends one datagram per flow from the client and waits up to half a second for its echo.
/// Returns, per flow, whether the echo came back.
private func send(_ link: ConntrackLink, _ flows: [Flow]) throws -> [Bool] {
    let script = """
        import socket, sys
        for flow in sys.argv[1:]:
            source, sport, port = flow.split(",")
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((source, int(sport)))
            s.settimeout(0.5)
            s.sendto(b"REGISTER", ("10.99.0.1", int(port)))
            try:
                s.recvfrom(2048)
                print("echo", flush=True)
            except socket.timeout:
                print("timeout", flush=True)
            s.close()
        """
    let result = try link.run(in: link.client, "/usr/bin/python3", ["-c", script] + flows.map(\.description))
    guard result.status == 0 else { throw GeoFilterTestError("sender: \(result.standardError)") }
    return result.standardOutput.split(separator: "\n").map { $0 == "echo" }
}

enum ConntrackBackendKind: String, CaseIterable, CustomTestStringConvertible {
    case nftables, ipset
    var testDescription: String { rawValue }

    func backend(_ namespace: String) -> any FirewallBackend {
        switch self {
        case .nftables: NftablesBackend(namespace: .named(namespace))
        case .ipset: IPSetBackend(namespace: .named(namespace))
        }
    }
}

private let conntrackAvailable = TestPaths.isCI || FileManager.default.isExecutableFile(atPath: ConntrackLink.conntrack)

// MARK: - Tests

@Suite("Conntrack purge: the plan's decision per entry")
struct ConntrackPurgeDecisionTests {
    @Test("Block CN: CN flows go; trusted and provider CN addresses, AU, private and loopback stay")
    func blockMode() throws {
        let plan = try plan(.blockSelected, "CN", trusted: ["1.0.1.2/32"], providers: ["1.0.1.3/32"])
        func purges(_ source: String, _ transport: ConntrackEntry.Transport = .udp, _ port: UInt16? = 5060) -> Bool {
            ConntrackPurge.purges(plan, source: IPAddress(source)!, transport: transport, destinationPort: port)
        }
        #expect(purges("1.0.1.1"))
        #expect(purges("1.0.1.1", .tcp, 22))
        #expect(purges("1.0.1.1", .icmp, nil))  // the unscoped geo rule drops every protocol
        #expect(purges("1.0.1.1", .other(50), nil))
        #expect(!purges("1.0.1.2"))  // trusted
        #expect(!purges("1.0.1.3"))  // provider
        #expect(!purges("1.0.0.1"))  // AU
        #expect(!purges("192.168.5.2"))  // no country: not blocked
        #expect(!purges("127.0.0.1"))
        #expect(!purges("2001:2::1"))  // JP
    }

    @Test("A scoped geo rule (sip): only TCP/UDP flows to its ports go")
    func scoped() throws {
        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN", scope: ServiceScope(rules: ServiceScope.service("sip")))
        let plan = try FirewallPlan(policy: policy, database: fixtureDatabase())
        func purges(_ transport: ConntrackEntry.Transport, _ port: UInt16?) -> Bool {
            ConntrackPurge.purges(plan, source: IPAddress("1.0.1.1")!, transport: transport, destinationPort: port)
        }
        #expect(purges(.udp, 5060))
        #expect(purges(.tcp, 5061))
        #expect(!purges(.udp, 5061))
        #expect(!purges(.tcp, 22))
        #expect(!purges(.udp, 5070))
        #expect(!purges(.icmp, nil))
        #expect(!purges(.sctp, 5060))
    }

    @Test("Directions: a flow the host opened never goes; a forwarded flow goes only when the plan covers forward")
    func directions() throws {
        func plan(_ directions: Set<GeoPolicy.Direction>) throws -> FirewallPlan {
            try FirewallPlan(policy: GeoPolicy(mode: .blockSelected, countries: "CN", directions: directions), database: fixtureDatabase())
        }
        func purges(_ plan: FirewallPlan, _ path: ConntrackPurge.Path) -> Bool {
            ConntrackPurge.purges(plan, source: IPAddress("1.0.1.1")!, transport: .udp, destinationPort: 5060, path: path)
        }
        let input = try plan([.input])
        let forward = try plan([.forward])
        let both = try plan([.input, .forward])
        #expect(purges(input, .toHost) && !purges(input, .forwarded) && !purges(input, .fromHost))
        #expect(!purges(forward, .toHost) && purges(forward, .forwarded) && !purges(forward, .fromHost))
        #expect(purges(both, .toHost) && purges(both, .forwarded) && !purges(both, .fromHost))
    }

    @Test("A namespace that does not exist is a namespace error naming the errno")
    func missingNamespace() throws {
        let error = #expect(throws: GeoFilterError.self) {
            try ConntrackPurge.run(plan: plan(.blockSelected, "CN"), namespace: .named("gfct-missing-\(UInt32.random(in: 0...UInt32.max))"))
        }
        #expect(error?.code == .namespace && error?.errno == .noSuchFileOrDirectory, "\(String(describing: error))")
    }

    @Test("Allow-only AU: CN and JP go; private space and AU stay")
    func allowOnly() throws {
        let plan = try plan(.allowOnlySelected, "AU")
        func purges(_ source: String) -> Bool {
            ConntrackPurge.purges(plan, source: IPAddress(source)!, transport: .udp, destinationPort: 5060)
        }
        #expect(purges("1.0.1.1") && purges("2001:2::1"))
        #expect(!purges("1.0.0.1") && !purges("192.168.5.2") && !purges("10.1.2.3") && !purges("::1"))
    }

    @Test("The explicit guard: a trusted or provider source is never purged, even inside a blocked country")
    func trustedGuard() throws {
        // The whole CN range trusted, and a provider network covering AU and CN, in a plan that
        // blocks both.
        let plan = try plan(.blockSelected, "CN,AU", trusted: ["1.0.1.0/24"], providers: ["1.0.0.0/23"])
        for source in ["1.0.1.1", "1.0.1.200", "1.0.0.1"] {
            for transport: ConntrackEntry.Transport in [.udp, .tcp, .icmp, .gre] {
                #expect(!ConntrackPurge.purges(plan, source: IPAddress(source)!, transport: transport, destinationPort: 5060))
            }
        }
        #expect(ConntrackPurge.purges(plan, source: IPAddress("1.0.4.1")!, transport: .udp, destinationPort: 5060))  // AU, not exempt
    }
}

@Suite(
    "Conntrack purge against the real kernel", .serialized,
    .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason),
    .enabled(if: conntrackAvailable, "needs the conntrack program (Debian package conntrack) as the oracle"))
struct ConntrackPurgeTests {
    @Test(
        "A UDP flow from CN that began before apply --block CN continues without the purge and stops at its next packet after it; trusted CN and AU flows continue",
        arguments: ConntrackBackendKind.allCases)
    func purgeStopsBlockedFlow(_ kind: ConntrackBackendKind) throws {
        let link = try ConntrackLink()
        defer { link.delete() }
        let listener = try Listener(link, ports: [5060])
        defer { listener.stop() }
        let blocked = Flow(source: "1.0.1.1", sourcePort: 40001, port: 5060)  // CN
        let trusted = Flow(source: "1.0.1.2", sourcePort: 40002, port: 5060)  // CN, trusted
        let allowed = Flow(source: "1.0.0.1", sourcePort: 40003, port: 5060)  // AU
        let flows = [blocked, trusted, allowed]

        // Before the apply: all three flows are answered and tracked.
        #expect(try send(link, flows) == [true, true, true])
        #expect(try send(link, flows) == [true, true, true])
        #expect(listener.received(blocked) == 2)

        let backend = kind.backend(link.server)
        let plan = try plan(.blockSelected, "CN", trusted: ["1.0.1.2/32"])
        #expect(try backend.apply(plan).digest == plan.digest)

        // The problem: without the purge the CN flow still gets through (its entry is established).
        #expect(try send(link, flows) == [true, true, true], "the CN flow should still pass before the purge")
        #expect(listener.received(blocked) == 3)

        // The oracle before: the CN entries, and the whole table.
        let blockedBefore = try link.listed(["-s", blocked.source])
        let allBefore = try link.listed()
        #expect(blockedBefore.count == 1, "\(blockedBefore)")
        #expect(allBefore.count == 3, "\(allBefore)")

        let result = try ConntrackPurge.run(plan: plan, namespace: .named(link.server))
        #expect(result.purged == blockedBefore.count)
        #expect(result.examined == allBefore.count)
        #expect(result.vanished == 0)

        // The oracle after: the CN entry is gone, the trusted and AU entries are untouched.
        #expect(try link.listed(["-s", blocked.source]).isEmpty)
        #expect(try link.listed(["-s", trusted.source]).count == 1)
        #expect(try link.listed(["-s", allowed.source]).count == 1)
        #expect(try link.listed().count == allBefore.count - result.purged)

        // The next CN packet is new traffic: the geo rule drops it (its counter moves), the
        // listener never sees it. The other flows continue.
        let droppedBefore = try backend.status().droppedPackets
        #expect(try send(link, flows) == [false, true, true])
        #expect(try send(link, flows) == [false, true, true])
        #expect(listener.received(blocked) == 3)
        #expect(listener.received(trusted) == 5 && listener.received(allowed) == 5)
        #expect(try backend.status().droppedPackets >= droppedBefore + 2)
        // A dropped packet leaves no entry behind.
        #expect(try link.listed(["-s", blocked.source]).isEmpty)
        // Nothing left to purge.
        #expect(try ConntrackPurge.run(plan: plan, namespace: .named(link.server)).purged == 0)
        _ = try backend.remove()
    }

    @Test("A scoped plan (sip only) purges the CN flow to 5060 and leaves the CN flow to 5070 alone")
    func scopedPlanKeepsOtherPorts() throws {
        let link = try ConntrackLink()
        defer { link.delete() }
        let listener = try Listener(link, ports: [5060, 5070])
        defer { listener.stop() }
        let sip = Flow(source: "1.0.1.1", sourcePort: 40011, port: 5060)
        let other = Flow(source: "1.0.1.1", sourcePort: 40012, port: 5070)
        #expect(try send(link, [sip, other]) == [true, true])

        let policy = try GeoPolicy(mode: .blockSelected, countries: "CN", scope: ServiceScope(rules: ServiceScope.service("sip")))
        let plan = try FirewallPlan(policy: policy, database: fixtureDatabase())
        let backend = NftablesBackend(namespace: .named(link.server))
        _ = try backend.apply(plan)
        #expect(try send(link, [sip, other]) == [true, true])  // both still pass before the purge

        #expect(try link.listed(["-s", "1.0.1.1"]).count == 2)
        let result = try ConntrackPurge.run(plan: plan, namespace: .named(link.server))
        #expect(result.purged == 1 && result.examined == 2)
        #expect(try link.listed(["-s", "1.0.1.1", "-p", "udp", "--dport", "5060"]).isEmpty)
        #expect(try link.listed(["-s", "1.0.1.1", "-p", "udp", "--dport", "5070"]).count == 1)

        #expect(try send(link, [sip, other]) == [false, true])
        #expect(listener.received(sip) == 2 && listener.received(other) == 3)
    }

    @Test("A flow the host opened from its own address stays, even when that address is in a country the plan drops")
    func hostFlowsStay() throws {
        let link = try ConntrackLink()
        defer { link.delete() }
        // The server owns a CN address and sends from it; a CN client sends to the server.
        let added = try link.run(in: link.server, ConntrackLink.ip, ["addr", "add", "1.0.1.50/32", "dev", "gfs0"])
        try #require(added.status == 0, "\(added.standardError)")
        let script = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((sys.argv[1], int(sys.argv[2])))
            s.sendto(b"x", (sys.argv[3], int(sys.argv[4])))
            """
        let outbound = try link.run(in: link.server, "/usr/bin/python3", ["-c", script, "1.0.1.50", "5555", "1.0.0.1", "7000"])
        let inbound = try link.run(in: link.client, "/usr/bin/python3", ["-c", script, "1.0.1.1", "40021", ConntrackLink.serverIPv4, "5060"])
        try #require(outbound.status == 0 && inbound.status == 0, "\(outbound.standardError) \(inbound.standardError)")
        try #require(try link.listed(["-s", "1.0.1.50"]).count == 1 && link.listed(["-s", "1.0.1.1"]).count == 1)

        let plan = try plan(.allowOnlySelected, "AU")
        #expect(plan.explain(IPAddress("1.0.1.50")!, transport: .udp, port: 7000).action == .drop)
        _ = try NftablesBackend(namespace: .named(link.server)).apply(plan)
        let result = try ConntrackPurge.run(plan: plan, namespace: .named(link.server))
        #expect(result.examined == 2 && result.purged == 1)
        #expect(try link.listed(["-s", "1.0.1.50"]).count == 1)  // the host's own flow
        #expect(try link.listed(["-s", "1.0.1.1"]).isEmpty)  // the CN client's flow
    }

    @Test("A delete removes exactly the entries given; one already gone is counted as missing")
    func deleteIsExact() throws {
        let link = try ConntrackLink()
        defer { link.delete() }
        // Two flows from the same CN address, to the same port, from two source ports.
        let script = """
            import socket
            for port in (40031, 40032):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("1.0.1.1", port))
                s.sendto(b"x", ("10.99.0.1", 5099))
                s.close()
            """
        try #require(try link.run(in: link.client, "/usr/bin/python3", ["-c", script]).status == 0)
        let namespace = NetworkNamespace.named(link.server)
        var entries: [ConntrackEntry] = []
        _ = try ConntrackSocket.withSocket(in: namespace) { (socket) throws(GeoFilterError) in
            try socket.forEachEntry { entries.append($0) }
        }
        try #require(entries.count == 2)
        let first = try #require(entries.first { $0.sourcePort == 40031 })
        let result = try ConntrackSocket.withSocket(in: namespace) { (socket) throws(GeoFilterError) in try socket.delete([first]) }
        #expect(result.deleted == 1 && result.missing == 0)
        #expect(try link.listed(["-s", "1.0.1.1", "-p", "udp", "--sport", "40031"]).isEmpty)
        #expect(try link.listed(["-s", "1.0.1.1", "-p", "udp", "--sport", "40032"]).count == 1)
        // Deleting it again: the kernel no longer has it (ENOENT), which is not an error.
        let again = try ConntrackSocket.withSocket(in: namespace) { (socket) throws(GeoFilterError) in try socket.delete([first]) }
        #expect(again.deleted == 0 && again.missing == 1)
        #expect(try link.listed(["-s", "1.0.1.1"]).count == 1)
        // Nothing to delete is a no-op.
        let none = try ConntrackSocket.withSocket(in: namespace) { (socket) throws(GeoFilterError) in try socket.delete([]) }
        #expect(none.deleted == 0 && none.missing == 0)
    }

    @Test("The dump reads IPv4 and IPv6 entries as conntrack -L lists them; a few thousand are purged at once")
    func fullTable() throws {
        let link = try ConntrackLink()
        defer { link.delete() }
        // Unanswered UDP flows to a closed port, each from its own source port: CN 3000, AU 1000,
        // JP 1000 (IPv6), US 1000 (IPv6).
        let sources = [("1.0.1.1", 3000), ("1.0.0.1", 1000), ("2001:2::1", 1000), ("2001:4:112::1", 1000)]
        let script = """
            import socket, sys
            for item in sys.argv[1:]:
                source, count = item.rsplit(",", 1)
                family = socket.AF_INET6 if ":" in source else socket.AF_INET
                target = "2001:db8:99::1" if ":" in source else "10.99.0.1"
                for port in range(20000, 20000 + int(count)):
                    s = socket.socket(family, socket.SOCK_DGRAM)
                    s.bind((source, port))
                    s.sendto(b"x", (target, 5099))
                    s.close()
            """
        let sent = try link.run(in: link.client, "/usr/bin/python3", ["-c", script] + sources.map { "\($0.0),\($0.1)" })
        try #require(sent.status == 0, "\(sent.standardError)")
        Thread.sleep(forTimeInterval: 0.2)
        let total = sources.reduce(0) { $0 + $1.1 }
        let listed = try link.listed()
        try #require(listed.count == total, "conntrack -L lists \(listed.count) entries")

        // The dump against the oracle: every flow, with its family, protocol, addresses and ports.
        var seen: Set<String> = []
        let dumped = try ConntrackSocket.withSocket(in: .named(link.server)) { (socket) throws(GeoFilterError) -> Int in
            try socket.forEachEntry { entry in
                #expect(entry.transport == .udp && entry.destinationPort == 5099 && entry.id != nil)
                #expect(entry.destination == IPAddress(entry.family == .ipv4 ? ConntrackLink.serverIPv4 : ConntrackLink.serverIPv6))
                #expect(entry.replySource == entry.destination)
                seen.insert("\(entry.source) \(entry.sourcePort ?? 0)")
            }
        }
        #expect(dumped == total)
        let local = try ConntrackSocket.withSocket(in: .named(link.server)) { (socket) throws(GeoFilterError) in socket.localAddresses() }
        #expect(local.isSuperset(of: [IPAddress("127.0.0.1")!, IPAddress("::1")!, IPAddress("10.99.0.1")!, IPAddress("10.99.0.255")!]))
        #expect(local.contains(IPAddress(ConntrackLink.serverIPv6)!) && !local.contains(IPAddress("1.0.1.1")!))
        let expected = Set(sources.flatMap { source, count in (20000..<20000 + count).map { "\(source) \($0)" } })
        #expect(seen == expected)

        let plan = try plan(.blockSelected, "CN,JP")
        let result = try ConntrackPurge.run(plan: plan, namespace: .named(link.server))
        #expect(result.examined == total && result.purged == 4000 && result.vanished == 0)
        #expect(try link.listed(["-s", "1.0.1.1"]).isEmpty)
        #expect(try link.listed(["-s", "2001:2::1"]).isEmpty)
        #expect(try link.listed().count == total - 4000)
        let seconds = Double(result.duration.components.seconds) + Double(result.duration.components.attoseconds) / 1e18
        print(
            "conntrack purge: examined \(result.examined), purged \(result.purged) in \(Int(seconds * 1000)) ms"
                + " (\(Int(Double(result.examined) / seconds)) entries/s examined)")
    }
}

/// The number of entries for the purge measurement (`GEOFILTER_CONNTRACK_ENTRIES`, e.g. 100000;
/// 20,000 under CI), or nil: elsewhere the measurement runs only when asked for.
private let measuredEntries =
    ProcessInfo.processInfo.environment["GEOFILTER_CONNTRACK_ENTRIES"].flatMap { Int($0) } ?? (TestPaths.isCI ? 20000 : nil)

@Suite(
    "Conntrack purge speed", .serialized,
    .enabled(if: measuredEntries != nil, "set GEOFILTER_CONNTRACK_ENTRIES=N (as root) to measure the purge on N entries"),
    .enabled(if: ScratchNamespace.enabled, ScratchNamespace.skipReason),
    .enabled(if: conntrackAvailable, "needs the conntrack program (Debian package conntrack)"))
struct ConntrackPurgeSpeedTests {
    @Test("Purge speed: N entries, four fifths from CN")
    func speed() throws {
        let total = measuredEntries ?? 0
        let link = try ConntrackLink()
        defer { link.delete() }
        // Flows from CN 1.0.1.1 and 1.0.1.2 and AU 1.0.0.1, up to 40,000 source ports each.
        let blocked = total * 4 / 5
        var sources: [(String, Int)] = []
        var left = blocked
        for source in ["1.0.1.1", "1.0.1.2", "1.0.1.3", "1.0.1.4"] where left > 0 {
            sources.append((source, min(left, 40000)))
            left -= min(left, 40000)
        }
        var allowed = total - blocked
        for source in ["1.0.0.1", "1.0.0.2"] where allowed > 0 {
            sources.append((source, min(allowed, 40000)))
            allowed -= min(allowed, 40000)
        }
        for (source, _) in sources where !ConntrackLink.clientAddresses.contains("\(source)/32") {
            _ = try link.run(in: link.client, ConntrackLink.ip, ["addr", "add", "\(source)/32", "dev", "gfc0"])
            _ = try link.run(in: link.server, ConntrackLink.ip, ["neigh", "replace", source, "lladdr", "02:00:00:98:00:02", "dev", "gfs0", "nud", "permanent"])
        }
        let script = """
            import socket, sys
            for item in sys.argv[1:]:
                source, count = item.rsplit(",", 1)
                for port in range(20000, 20000 + int(count)):
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    s.bind((source, port))
                    s.sendto(b"x", ("10.99.0.1", 5099))
                    s.close()
            """
        let sent = try link.run(in: link.client, "/usr/bin/python3", ["-c", script] + sources.map { "\($0.0),\($0.1)" })
        try #require(sent.status == 0, "\(sent.standardError)")
        Thread.sleep(forTimeInterval: 0.5)
        let namespace = NetworkNamespace.named(link.server)
        // The dump alone (entries read, nothing decided), and conntrack -L for comparison.
        let clock = ContinuousClock()
        let dumpStart = clock.now
        let dumped = try ConntrackSocket.withSocket(in: namespace) { (socket) throws(GeoFilterError) -> Int in
            try socket.forEachEntry { _ in }
        }
        let dumpTime = clock.now - dumpStart
        let toolStart = clock.now
        _ = try link.run(in: link.server, ConntrackLink.conntrack, ["-L", "-f", "ipv4"])
        let toolTime = clock.now - toolStart
        #expect(dumped == total)
        // A plan that purges nothing: the dump and the decisions alone.
        let none = try ConntrackPurge.run(plan: plan(.blockSelected, "JP"), namespace: namespace)
        let result = try ConntrackPurge.run(plan: plan(.blockSelected, "CN"), namespace: namespace)
        #expect(none.examined == total && none.purged == 0)
        #expect(result.examined == total && result.purged == blocked)
        func ms(_ duration: Duration) -> Double {
            Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        }
        print("conntrack dump alone: \(Int(ms(dumpTime))) ms; conntrack -L: \(Int(ms(toolTime))) ms")
        print("conntrack dump + decisions: \(total) entries in \(Int(ms(none.duration))) ms (\(Int(Double(total) / ms(none.duration) * 1000)) entries/s)")
        print("conntrack purge: examined \(result.examined), purged \(result.purged) in \(Int(ms(result.duration))) ms")
    }
}
