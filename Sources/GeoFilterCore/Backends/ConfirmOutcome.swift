/// What ``Enforcer/confirm()`` did.
public enum ConfirmOutcome: Sendable, Hashable {
    /// The pending plan is confirmed: it stays, and the watchdog stands down.
    case confirmed(digest: String)
    /// Nothing was pending: the plan was confirmed before (a second confirm).
    case alreadyConfirmed(digest: String)
}
