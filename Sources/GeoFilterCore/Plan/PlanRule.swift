/// One rule of a ``FirewallPlan``, in the order of ``FirewallPlan/rules``.
public enum PlanRule: String, Sendable, Hashable, CaseIterable {
    /// Established and related connections pass.
    case acceptEstablished = "accept-established"
    /// Sources in the trusted networks pass.
    case acceptTrusted = "accept-trusted"
    /// Sources in the provider networks pass.
    case acceptProviders = "accept-providers"
    /// Packets on the loopback interface pass.
    case acceptLoopback = "accept-loopback"
    /// Sources in private and reserved space pass (allow-only mode).
    case acceptReserved = "accept-reserved"
    /// The geo rule drops (on the scoped traffic).
    case dropGeo = "drop-geo"
}
