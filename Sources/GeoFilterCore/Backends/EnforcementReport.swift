/// What ``Enforcer/apply(_:allowBroadExemptions:backendSettings:state:confirmWithin:launchWatchdog:)`` did.
public struct EnforcementReport: Sendable, Hashable {
    /// What the backend did.
    public var outcome: ApplyOutcome
    /// The confirmation now pending, with its deadline (applies with a confirmation window).
    public var pending: PendingConfirmation?
    /// Things the admin should know, one sentence each (a pending confirmation superseded, a
    /// previous plan that cannot be put back).
    public var notes: [String]
}
