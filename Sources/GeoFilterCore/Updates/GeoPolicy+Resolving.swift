extension GeoPolicy {
    /// ``resolvingNames(using:previous:now:)`` on a thread of its own, so an `async` host
    /// (re-resolving its provider names on a timer) never blocks a thread of Swift's
    /// cooperative pool while ``DNSResolver`` waits for answers.
    ///
    /// A host's timer loop: resolve, compile, and apply when the digest changed; the backends
    /// then send only the changed provider elements.
    ///
    /// ```swift
    /// policy = await policy.resolvingNames(using: resolver)   // keeps the last good addresses
    /// let plan = try FirewallPlan(policy: policy, database: database)
    /// if plan.digest != applied { _ = try await backend.apply(plan) }
    /// ```
    public func resolvingNames(
        using resolver: some HostNameResolver, previous: ResolvedNames? = nil, now: Int64? = nil
    ) async -> GeoPolicy {
        let policy = self
        do {
            return try await BlockingWork.run { () throws(GeoFilterError) -> GeoPolicy in
                Self.resolve(policy, resolver, previous, now)
            }
        } catch {
            // Not reached: lookup failures are recorded in the result, never thrown.
            return Self.resolve(policy, resolver, previous, now)
        }
    }

    /// The blocking resolution (a function of its own, so the call is never the async one).
    private static func resolve(_ policy: GeoPolicy, _ resolver: some HostNameResolver, _ previous: ResolvedNames?, _ now: Int64?) -> GeoPolicy {
        policy.resolvingNames(using: resolver, previous: previous, now: now)
    }
}
