/// Deletes the connection-tracking entries of flows a plan drops, so that they stop at their
/// next packet.
///
/// Every plan accepts established traffic first. A flow that began before the plan was
/// applied (a UDP SIP flood from a country that is now blocked) therefore keeps matching its
/// conntrack entry, and for UDP every packet renews the entry's timeout: the flood never stops.
/// Deleting the entry makes the next packet a new flow, which the geo rule drops.
///
/// Run it right after a successful apply, with the plan just applied and the same namespace.
/// Both backends share it: the decision is the plan's own (``FirewallPlan/explain(_:transport:port:)``),
/// not the kernel's rules.
///
/// An entry is purged when the plan drops a new flow from the entry's original source to its
/// original destination port over its protocol: trusted, provider, loopback and (allow-only)
/// reserved sources are accepted by the plan and never purged (entries from trusted and provider
/// networks are also skipped by an explicit check); with a scoped geo rule, flows outside the
/// scope (another port, or a protocol other than TCP/UDP) are kept.
///
/// The kernel's rules see a flow on one hook, which the plan may not cover: flows the host opened
/// itself (the original source is one of its addresses) are never purged; a flow the host
/// terminates (whoever answers is one of its addresses, or the destination is a broadcast or
/// multicast address) is purged only when the plan covers the input direction, a forwarded flow
/// only when it covers forward.
public enum ConntrackPurge {
    /// What a purge did.
    public struct Result: Sendable, Hashable, CustomStringConvertible {
        /// The entries the table held (both families, every zone).
        public var examined: Int
        /// The entries deleted.
        public var purged: Int
        /// Entries chosen for deletion that were gone by then (expired, or deleted by someone
        /// else between the dump and the delete).
        public var vanished: Int
        /// The time the dump, the decisions and the deletes took.
        public var duration: Duration

        public init(examined: Int, purged: Int, vanished: Int, duration: Duration) {
            self.examined = examined
            self.purged = purged
            self.vanished = vanished
            self.duration = duration
        }

        /// `purged 3 of 120 connection-tracking entries`.
        public var description: String { "purged \(purged) of \(examined) connection-tracking entries" }
    }

    /// Dumps the conntrack table of `namespace` once and deletes every entry whose original
    /// source `plan` drops for that entry's protocol and destination port.
    ///
    /// A plan whose policy is disabled drops nothing: the table is not read.
    ///
    /// - Parameters:
    ///   - plan: the plan just applied.
    ///   - namespace: the namespace it was applied in.
    /// - Returns: how many entries were examined, purged, and gone before their delete.
    /// - Throws: ``GeoFilterError``: `.permission` without CAP_NET_ADMIN, `.unsupported` without
    ///   ctnetlink, `.namespace`, `.outOfMemory`, `.kernel` for other kernel errors. Entries
    ///   deleted before a failure stay deleted.
    /// - Complexity: one dump and one plan lookup per entry (O(n log k) for n entries and k
    ///   ranges), and one netlink send per 256 deletes.
    public static func run(plan: FirewallPlan, namespace: NetworkNamespace = .current) throws(GeoFilterError) -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        guard plan.policy.enabled else { return Result(examined: 0, purged: 0, vanished: 0, duration: clock.now - start) }
        return try ConntrackSocket.withSocket(in: namespace) { (socket) throws(GeoFilterError) -> Result in
            let local = socket.localAddresses()
            var doomed: [ConntrackEntry] = []
            let examined = try socket.forEachEntry { entry in
                if purges(plan, entry, localAddresses: local) { doomed.append(entry) }
            }
            let (deleted, missing) = try socket.delete(doomed)
            return Result(examined: examined, purged: deleted, vanished: missing, duration: clock.now - start)
        }
    }

    /// ``run(plan:namespace:)`` on a thread of its own: for `async` callers.
    public static func run(plan: FirewallPlan, namespace: NetworkNamespace = .current) async throws(GeoFilterError) -> Result {
        try await BlockingWork.run { () throws(GeoFilterError) in try run(plan: plan, namespace: namespace) }
    }

    /// Where a tracked flow goes through the host.
    enum Path: Hashable, Sendable {
        /// The host opened it (its original source is a local address).
        case fromHost
        /// The host terminates it (the input hook).
        case toHost
        /// The host forwards it (the forward hook).
        case forwarded
    }

    /// The path of an entry, from the namespace's local addresses.
    static func path(of entry: ConntrackEntry, localAddresses: Set<IPAddress>) -> Path {
        if localAddresses.contains(entry.source) { return .fromHost }
        guard let answering = entry.replySource else { return .toHost }
        if localAddresses.contains(answering) || isGroupAddress(entry.destination) { return .toHost }
        return .forwarded
    }

    /// Multicast, or the IPv4 limited broadcast (subnet broadcasts are among the local addresses).
    private static func isGroupAddress(_ address: IPAddress) -> Bool {
        switch address {
        case .v4(let a): a.value >> 28 == 0xE || a.value == .max
        case .v6(let a): a.value >> 120 == 0xFF
        }
    }

    /// Whether the purge deletes an entry.
    static func purges(_ plan: FirewallPlan, _ entry: ConntrackEntry, localAddresses: Set<IPAddress>) -> Bool {
        purges(
            plan, source: entry.source, transport: entry.transport, destinationPort: entry.destinationPort,
            path: path(of: entry, localAddresses: localAddresses))
    }

    /// Whether the purge deletes an entry whose original direction is from `source` to
    /// `destinationPort` over `transport`, along `path`: the plan drops such a new flow.
    static func purges(
        _ plan: FirewallPlan, source: IPAddress, transport: ConntrackEntry.Transport, destinationPort: UInt16?, path: Path = .toHost
    ) -> Bool {
        switch path {
        case .fromHost: return false
        case .toHost: guard plan.policy.directions.contains(.input) else { return false }
        case .forwarded: guard plan.policy.directions.contains(.forward) else { return false }
        }
        // The plan accepts these before its geo rule; checked here as well so that no change to
        // the verdict logic can ever cut a trusted or provider flow.
        if plan.trusted.contains(source) || plan.providers.contains(source) { return false }
        let verdict: Verdict
        if let scoped = transport.scopeTransport, let destinationPort {
            verdict = plan.explain(source, transport: scoped, port: destinationPort)
        } else if plan.policy.scope.isAllTraffic {
            // ICMP, SCTP, GRE, ...: the unscoped geo rule drops every protocol.
            verdict = plan.explain(source)
        } else {
            // A scoped geo rule covers TCP/UDP ports only.
            return false
        }
        guard verdict.action == .drop else { return false }
        switch verdict.reason {
        case .trusted, .provider, .loopback, .reserved, .disabled, .outsideScope: return false
        default: return true
        }
    }
}
