/// An address that must keep working and that a plan would cut off, with the plan's verdict.
public struct LockoutRisk: Sendable, Hashable, CustomStringConvertible {
    /// The address and why it must keep working.
    public var protected: ProtectedAddress
    /// The plan's verdict for it (a drop, with the rule that decides).
    public var verdict: Verdict

    public init(protected: ProtectedAddress, verdict: Verdict) {
        self.protected = protected
        self.verdict = verdict
    }

    /// `ADDRESS<TAB>ORIGIN<TAB>REASON`.
    public var description: String { "\(protected.address)\t\(protected.originText)\t\(verdict.reasonText)" }
}
