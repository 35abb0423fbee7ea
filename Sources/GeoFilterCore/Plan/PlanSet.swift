/// The sets of a plan, by role.
public enum PlanSet: String, Sendable, Hashable, CaseIterable {
    case trusted
    case provider
    case reserved
    case geo

    /// The set's base name for a family: `geo4`, `trusted6`.
    public func name(_ family: IPAddressFamily) -> String {
        rawValue + (family == .ipv4 ? "4" : "6")
    }
}
