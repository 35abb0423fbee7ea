/// Something that enforces a ``FirewallPlan`` in the kernel: ``NftablesBackend`` or ``IPSetBackend``.
///
/// The requirements are blocking calls (netlink round trips, helper programs); from `async`
/// code use the `async` overloads, which run them on a thread of their own so they never block
/// Swift's cooperative thread pool.
public protocol FirewallBackend: Sendable {
    /// Whether the backend can work here: kernel support, permission, tools.
    func probe() -> BackendProbe
    /// Enforces the plan atomically: the kernel holds either the previous plan or this one.
    ///
    /// - Throws: ``GeoFilterError``; the previous plan stays in force.
    func apply(_ plan: FirewallPlan) throws(GeoFilterError) -> ApplyOutcome
    /// What is in the kernel now.
    func status() throws(GeoFilterError) -> FirewallStatus
    /// Removes everything the backend installed; the rest of the firewall is left as it was.
    func remove() throws(GeoFilterError) -> Bool
}

extension FirewallBackend {
    /// ``apply(_:)`` on a thread of its own: for `async` callers.
    ///
    /// Once started, the change completes or fails as a whole even if the calling task is
    /// cancelled (the kernel never holds half a plan).
    public func apply(_ plan: FirewallPlan) async throws(GeoFilterError) -> ApplyOutcome {
        try await BlockingWork.run { () throws(GeoFilterError) in try self.apply(plan) }
    }

    /// ``status()`` on a thread of its own: for `async` callers.
    public func status() async throws(GeoFilterError) -> FirewallStatus {
        try await BlockingWork.run { () throws(GeoFilterError) in try self.status() }
    }

    /// ``remove()`` on a thread of its own: for `async` callers.
    public func remove() async throws(GeoFilterError) -> Bool {
        try await BlockingWork.run { () throws(GeoFilterError) in try self.remove() }
    }

    /// ``probe()`` on a thread of its own: for `async` callers.
    public func probe() async -> BackendProbe {
        do {
            return try await BlockingWork.run { () throws(GeoFilterError) in self.probe() }
        } catch {
            return BackendProbe(available: false, message: error.message)
        }
    }
}
