
extension FirewallPlan {
    /// The verdict for a new connection from `address` (established connections are accepted
    /// by the first rule and are not modelled here).
    ///
    /// - Parameters:
    ///   - transport, port: the destination, when known; a scoped geo rule applies only to
    ///     traffic in its scope. Without them the verdict is for traffic in scope.
    public func explain(_ address: IPAddress, transport: TransportProtocol? = nil, port: UInt16? = nil) -> Verdict {
        if let network = Self.firstNetwork(policy.resolvedTrusted, containing: address) {
            return Verdict(action: .accept, reason: .trusted(network))
        }
        if let network = Self.firstNetwork(policy.resolvedProviders, containing: address) {
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
