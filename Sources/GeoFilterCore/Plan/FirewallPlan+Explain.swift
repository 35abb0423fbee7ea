/// What the plan does with a packet from an address, and why.
public struct Verdict: Sendable, Hashable, CustomStringConvertible {
    /// Accept (this filter lets the packet go on) or drop.
    public enum Action: String, Sendable, Hashable {
        case accept
        case drop
    }

    /// Why: the rule that decides.
    public enum Reason: Sendable, Hashable {
        /// The policy is disabled: the plan drops nothing.
        case disabled
        /// The source is in a trusted network (the policy's entry that holds it).
        case trusted(IPAnyNetwork)
        /// The source is in a provider network.
        case provider(IPAnyNetwork)
        /// The source is a loopback address.
        case loopback
        /// Allow-only mode: the source is private or reserved space (the block that holds it).
        case reserved(String)
        /// Block mode: the source's country is blocked.
        case countryBlocked(Country, label: String?)
        /// Block mode: the source's country (or pseudo-region) is not blocked.
        case regionNotBlocked(RegionCode)
        /// Block mode: the data has no country for the source, so it is not blocked.
        case unknownNotBlocked
        /// Allow-only mode: the source's country is allowed.
        case countryAllowed(Country, label: String?)
        /// Allow-only mode: the source's country (or pseudo-region) is not in the allow list.
        case regionNotAllowed(RegionCode)
        /// Allow-only mode: the data has no country for the source, so it is not allowed.
        case unknownNotAllowed
        /// The geo rule is scoped and the packet's protocol and port are outside the scope.
        case outsideScope
    }

    public var action: Action
    public var reason: Reason
    /// The traffic the geo rule applies to, when the geo rule decided and is scoped.
    public var scope: ServiceScope?

    /// One phrase: `trusted 10.0.0.0/8`, `country CN blocked`, `country FR not in allow list`.
    public var reasonText: String {
        var text: String
        switch reason {
        case .disabled: text = "policy disabled"
        case .trusted(let network): text = "trusted \(network)"
        case .provider(let network): text = "provider \(network)"
        case .loopback: text = "loopback"
        case .reserved(let block): text = "reserved space \(block)"
        case .countryBlocked(let country, let label): text = "country \(country.alpha2) blocked" + (label.map { " (\($0))" } ?? "")
        case .regionNotBlocked(let region): text = "\(Self.regionText(region)) not blocked"
        case .unknownNotBlocked: text = "no country data for this address: not blocked"
        case .countryAllowed(let country, let label): text = "country \(country.alpha2) allowed" + (label.map { " (\($0))" } ?? "")
        case .regionNotAllowed(let region): text = "\(Self.regionText(region)) not in allow list"
        case .unknownNotAllowed: text = "no country data for this address: not in allow list"
        case .outsideScope: text = "outside the geo rule's scope"
        }
        if let scope, !scope.isAllTraffic { text += " (geo rule applies to \(scope) only)" }
        return text
    }

    private static func regionText(_ region: RegionCode) -> String {
        switch region.kind {
        case .country: "country \(region.code)"
        case .pseudo(let pseudo): "region \(region.code) (\(pseudo.meaning))"
        case .unrecognized: "code \(region.code)"
        }
    }

    /// `accept<TAB>reason`.
    public var description: String { "\(action.rawValue)\t\(reasonText)" }
}

extension FirewallPlan {
    /// The verdict for a new connection from `address` (established connections are accepted
    /// by the first rule and are not modelled here).
    ///
    /// - Parameters:
    ///   - transport, port: the destination, when known; a scoped geo rule applies only to
    ///     traffic in its scope. Without them the verdict is for traffic in scope.
    public func explain(_ address: IPAddress, transport: TransportProtocol? = nil, port: UInt16? = nil) -> Verdict {
        if let network = Self.firstNetwork(policy.trusted, containing: address) {
            return Verdict(action: .accept, reason: .trusted(network))
        }
        if let network = Self.firstNetwork(policy.providers, containing: address) {
            return Verdict(action: .accept, reason: .provider(network))
        }
        if ReservedSpace.loopback.contains(address) { return Verdict(action: .accept, reason: .loopback) }
        if policy.mode == .allowOnlySelected, let block = Self.reservedBlock(containing: address) {
            return Verdict(action: .accept, reason: .reserved(block))
        }
        guard policy.enabled else { return Verdict(action: .accept, reason: .disabled) }
        let region = region(of: address)
        let inSelected = selected.contains(address)
        let scope = policy.scope.isAllTraffic ? nil : policy.scope
        let inScope = transport == nil && port == nil ? true : policy.scope.covers(transport, port: port)
        let verdict: Verdict
        switch policy.mode {
        case .blockSelected:
            if inSelected, let country = region?.country {
                verdict = Verdict(action: .drop, reason: .countryBlocked(country, label: policy.label(of: country)), scope: scope)
            } else if let region {
                verdict = Verdict(action: .accept, reason: .regionNotBlocked(region), scope: scope)
            } else {
                verdict = Verdict(action: .accept, reason: .unknownNotBlocked, scope: scope)
            }
        case .allowOnlySelected:
            if inSelected, let country = region?.country {
                verdict = Verdict(action: .accept, reason: .countryAllowed(country, label: policy.label(of: country)), scope: scope)
            } else if let region {
                verdict = Verdict(action: .drop, reason: .regionNotAllowed(region), scope: scope)
            } else {
                verdict = Verdict(action: .drop, reason: .unknownNotAllowed, scope: scope)
            }
        }
        return inScope ? verdict : Verdict(action: .accept, reason: .outsideScope, scope: scope)
    }

    private func region(of address: IPAddress) -> RegionCode? {
        switch address {
        case .v4(let a): database.region(of: a)
        case .v6(let a): database.region(of: a)
        }
    }

    private static func firstNetwork(_ networks: [IPAnyNetwork], containing address: IPAddress) -> IPAnyNetwork? {
        networks.first { network in
            switch (network, address) {
            case (.v4(let n), .v4(let a)): n.contains(a)
            case (.v6(let n), .v6(let a)): n.contains(a)
            default: false
            }
        }
    }

    private static func reservedBlock(containing address: IPAddress) -> String? {
        reservedBlocks.first { $0.set.contains(address) }?.text
    }

    private static let reservedBlocks: [(text: String, set: CIDRSet)] =
        (ReservedSpace.ipv4Networks + ReservedSpace.ipv6Networks).map { ($0, try! CIDRSet(parsing: [$0])) }
}

/// A peer address the host currently sees (a registered extension, a trunk), for the impact
/// preview.
public struct Peer: Sendable, Hashable {
    public var address: IPAddress
    /// What the host calls it (`ext 201`, `trunk sipgate`).
    public var label: String?

    public init(address: IPAddress, label: String? = nil) {
        self.address = address
        self.label = label
    }
}

/// A peer a plan would cut off, and the rule that drops it.
public struct PeerImpact: Sendable, Hashable {
    public var peer: Peer
    /// The plan's verdict for the peer's address (a drop, with its reason).
    public var verdict: Verdict
}

extension FirewallPlan {
    /// The peers this plan would cut off, with why, before it is applied (the Geolock idea).
    public func impact(on peers: [Peer]) -> [PeerImpact] {
        peers.compactMap { peer in
            let verdict = explain(peer.address)
            return verdict.action == .drop ? PeerImpact(peer: peer, verdict: verdict) : nil
        }
    }
}

extension FirewallPlan {
    /// The region of an address in the plan's data and the largest network with the same answer.
    public func lookupRegion(_ address: IPAddress) -> GeoLookup? { database.lookup(address) }
}
