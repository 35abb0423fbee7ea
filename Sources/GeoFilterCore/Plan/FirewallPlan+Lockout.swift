extension FirewallPlan {
    /// The addresses of `protected` that this plan would cut off, with the verdict for each, in
    /// the order given (an address listed twice is reported once). Empty: the plan is safe to
    /// apply for them.
    ///
    /// A host shows the result before the admin confirms, and refuses to apply a plan that
    /// would lock the admin out unless the admin insists. An address with a destination
    /// (``ProtectedAddress/port``) is judged for that destination, so a geo rule scoped to SIP
    /// does not count as cutting off an SSH session. Connections already established stay up
    /// (rule 1), but a new one would be dropped: that counts as cut off.
    ///
    /// - Complexity: O(k log n) for k addresses and n ranges in the plan's sets.
    public func lockoutCheck(keeping protected: [ProtectedAddress]) -> [LockoutRisk] {
        var seen = Set<IPAddress>()
        var risks: [LockoutRisk] = []
        for item in protected {
            let verdict = explain(item.address, transport: item.transport, port: item.port)
            guard verdict.action == .drop, seen.insert(item.address).inserted else { continue }
            risks.append(LockoutRisk(protected: item, verdict: verdict))
        }
        return risks
    }
}
