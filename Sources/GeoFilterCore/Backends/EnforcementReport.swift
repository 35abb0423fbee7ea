/// What ``Enforcer/apply(_:allowBroadExemptions:backendSettings:state:confirmWithin:launchWatchdog:)`` did.
public struct EnforcementReport: Sendable, Hashable {
    /// What the backend did.
    public var outcome: ApplyOutcome
    /// The confirmation now pending, with its deadline (applies with a confirmation window).
    public var pending: PendingConfirmation?
    /// Things the admin should know, one sentence each (a pending confirmation superseded, a
    /// previous plan that cannot be put back).
    public var notes: [String]
    /// The connection-tracking entries deleted after the apply (nil when the purge is off or
    /// failed; a note says why).
    public var purge: ConntrackPurge.Result?

    public init(outcome: ApplyOutcome, pending: PendingConfirmation?, notes: [String], purge: ConntrackPurge.Result? = nil) {
        self.outcome = outcome
        self.pending = pending
        self.notes = notes
        self.purge = purge
    }
}
