

/// Which traffic the geo rule applies to: all of it (the default), or destination ports of
/// named services. Trusted, provider and established traffic is accepted whatever the scope.
///
/// Scoping applies the rule to TCP/UDP on those ports only: other traffic (ICMP, other ports)
/// from blocked countries is not dropped by GeoFilter.
public struct ServiceScope: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The port rules; empty means all traffic.
    public private(set) var rules: [PortRule]

    /// Every packet, any protocol.
    public static let allTraffic = ServiceScope(rules: [])

    /// The geo rule applies to these port rules only (merged and sorted).
    public init(rules: [PortRule]) {
        var byProtocol: [TransportProtocol: [ClosedRange<UInt16>]] = [:]
        for rule in rules { byProtocol[rule.transport, default: []] += rule.ports }
        self.rules = byProtocol.keys.sorted().map { transport in
            PortRule(transport, Self.merge(byProtocol[transport]!))
        }
    }

    private enum CodingKeys: String, CodingKey { case rules }

    /// Decodes the rules and normalises them as ``init(rules:)`` does (one rule per protocol,
    /// port ranges sorted and merged), so a policy file with repeated entries costs no more
    /// kernel rules than one without.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(rules: try container.decodeIfPresent([PortRule].self, forKey: .rules) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rules, forKey: .rules)
    }

    /// Whether the rule applies to all traffic.
    public var isAllTraffic: Bool { rules.isEmpty }

    /// Whether a packet to `port` over `transport` is in scope (nil port: any packet).
    public func covers(_ transport: TransportProtocol?, port: UInt16?) -> Bool {
        guard !rules.isEmpty else { return true }
        guard let transport, let port else { return false }
        return rules.contains { $0.transport == transport && $0.ports.contains { $0.contains(port) } }
    }

    /// Named services of a PBX, as port rules.
    ///
    /// - `sip`: UDP and TCP 5060, TLS on TCP 5061
    /// - `rtp`: UDP 10000-20000 (Asterisk's default), or `rtp:LOW-HIGH`
    /// - `web`: TCP 80 and 443; `ssh`: TCP 22; `ami`: TCP 5038; `ajam`: TCP 8088 and 8089
    /// - `tcp:PORTS` / `udp:PORTS`: explicit ports, `5060,5070-5080`
    /// - Throws: ``GeoFilterError`` naming the service text when it is not one of these.
    public static func service(_ text: String) throws(GeoFilterError) -> [PortRule] {
        let lower = text.lowercased()
        switch lower {
        case "sip": return [PortRule(.udp, [5060...5060]), PortRule(.tcp, [5060...5061])]
        case "rtp": return [PortRule(.udp, [10000...20000])]
        case "web": return [PortRule(.tcp, [80...80, 443...443])]
        case "ssh": return [PortRule(.tcp, [22...22])]
        case "ami": return [PortRule(.tcp, [5038...5038])]
        case "ajam": return [PortRule(.tcp, [8088...8089])]
        default: break
        }
        let parts = lower.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw invalidService(text) }
        let ports = try parsePorts(parts[1], text: text)
        switch parts[0] {
        case "tcp": return [PortRule(.tcp, ports)]
        case "udp": return [PortRule(.udp, ports)]
        case "rtp": return [PortRule(.udp, ports)]
        default: throw invalidService(text)
        }
    }

    private static func parsePorts(_ list: String, text: String) throws(GeoFilterError) -> [ClosedRange<UInt16>] {
        var result: [ClosedRange<UInt16>] = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let low = UInt16(bounds[0]), let high = UInt16(bounds[bounds.count - 1]),
                low >= 1, low <= high
            else { throw invalidService(text) }
            result.append(low...high)
        }
        return result
    }

    private static func invalidService(_ text: String) -> GeoFilterError {
        GeoFilterError(
            .invalidInput,
            "'\(text)' is not a service: use sip, rtp, rtp:LOW-HIGH, web, ssh, ami, ajam, tcp:PORTS or udp:PORTS (ports 1-65535, e.g. udp:5060,10000-20000)")
    }

    /// Sorted, merged ranges.
    private static func merge(_ ranges: [ClosedRange<UInt16>]) -> [ClosedRange<UInt16>] {
        var result: [ClosedRange<UInt16>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, UInt32(last.upperBound) + 1 >= UInt32(range.lowerBound) {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// `all traffic`, or `udp 5060,10000-20000; tcp 5060-5061`.
    public var description: String {
        guard !rules.isEmpty else { return "all traffic" }
        return rules.map { rule in
            "\(rule.transport) " + rule.ports.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
        }.joined(separator: "; ")
    }
}
