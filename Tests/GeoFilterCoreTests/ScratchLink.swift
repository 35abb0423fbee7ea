import Foundation
import Testing

@testable import GeoFilterCore

/// Two namespaces joined by a veth pair: a `server` where GeoFilter is applied (10.99.0.1,
/// 2001:db8:99::1) and a `client` whose addresses come from real country ranges of the fixture
/// data, so packets arrive from "China" or "Australia". Deleted by ``delete()``.
struct ScratchLink {
    let server: ScratchNamespace
    let client: ScratchNamespace
    static let serverIPv4 = "10.99.0.1"
    static let serverIPv6 = "2001:db8:99::1"
    static let serverMAC = "02:00:00:99:00:01"
    static let clientMAC = "02:00:00:99:00:02"

    /// Client source addresses: CN 1.0.1.1, AU 1.0.0.1, private 192.168.5.2, JP 2001:2::1,
    /// US 2001:4:112::1.
    static let clientAddresses = ["1.0.1.1/32", "1.0.0.1/32", "192.168.5.2/32", "2001:2::1/128", "2001:4:112::1/128"]

    init() throws {
        server = try ScratchNamespace()
        do {
            client = try ScratchNamespace()
        } catch {
            server.delete()
            throw error
        }
        do {
            try setUp()
        } catch {
            delete()
            throw error
        }
    }

    private func setUp() throws {
        let ip = "/usr/sbin/ip"
        let steps: [(ScratchNamespace?, [String])] = [
            (nil, [
                "link", "add", "gfs0", "address", Self.serverMAC, "netns", server.name, "type", "veth", "peer", "name", "gfc0",
                "address", Self.clientMAC, "netns", client.name,
            ]),
            (server, ["link", "set", "lo", "up"]), (client, ["link", "set", "lo", "up"]),
            (server, ["link", "set", "gfs0", "up"]), (client, ["link", "set", "gfc0", "up"]),
            (server, ["addr", "add", "\(Self.serverIPv4)/24", "dev", "gfs0"]),
            (server, ["addr", "add", "\(Self.serverIPv6)/64", "dev", "gfs0", "nodad"]),
            (server, ["route", "add", "1.0.0.0/16", "dev", "gfs0"]),
            (server, ["route", "add", "192.168.5.0/24", "dev", "gfs0"]),
            (server, ["-6", "route", "add", "2001::/16", "dev", "gfs0"]),
            (client, ["route", "add", "10.99.0.0/24", "dev", "gfc0"]),
            (client, ["-6", "route", "add", "2001:db8:99::/64", "dev", "gfc0"]),
        ] + Self.clientAddresses.map { address in
            (client, ["addr", "add", address, "dev", "gfc0"] + (address.contains(":") ? ["nodad"] : []))
        } + Self.clientAddresses.map { address in
            // Fixed neighbours: no neighbour discovery, whose ICMPv6 from a blocked source the
            // filter would drop and whose retries would delay the next ping.
            (server, ["neigh", "replace", String(address.split(separator: "/")[0]), "lladdr", Self.clientMAC, "dev", "gfs0", "nud", "permanent"])
        } + [Self.serverIPv4, Self.serverIPv6].map { address in
            (client, ["neigh", "replace", address, "lladdr", Self.serverMAC, "dev", "gfc0", "nud", "permanent"])
        }
        for (namespace, arguments) in steps {
            let result = try namespace.map { try $0.run(ip, arguments) } ?? ScratchNamespace.run(ip, arguments)
            guard result.status == 0 else { throw GeoFilterTestError("ip \(arguments.joined(separator: " ")): \(result.error)") }
        }
    }

    func delete() {
        client.delete()
        server.delete()
    }

    /// Whether a ping from `source` (a client address) reaches the server and comes back: up to
    /// three echo requests, any reply counts.
    func ping(from source: String) throws -> Bool {
        let target = source.contains(":") ? Self.serverIPv6 : Self.serverIPv4
        let result = try client.run("/usr/bin/ping", ["-c", "3", "-i", "0.2", "-W", "1", "-w", "2", "-I", source, target])
        return result.status == 0
    }
}

/// The fixture data the kernel tests use (CN 1.0.1.0/24, AU 1.0.0.0/24 and 1.0.4.0/22, JP
/// 2001:2::/48, US 2001:4:112::/48, ...).
func fixtureDatabase() throws -> GeoDatabase {
    try GeoDatabase.load(.ipfire(ipv4: TestPaths.fixture("ipfire/geoip"), ipv6: TestPaths.fixture("ipfire/geoip6")))
}

/// A plan over the fixture data.
func plan(_ mode: GeoPolicy.Mode, _ countries: String, trusted: [String] = [], providers: [String] = []) throws -> FirewallPlan {
    try FirewallPlan(policy: GeoPolicy(mode: mode, countries: countries, trusted: trusted, providers: providers), database: fixtureDatabase())
}
