/// A peer a plan would cut off, and the rule that drops it.
public struct PeerImpact: Sendable, Hashable {
    public var peer: Peer
    /// The plan's verdict for the peer's address (a drop, with its reason).
    public var verdict: Verdict
}
