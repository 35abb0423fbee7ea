/// What ``FirewallBackend/apply(_:)`` did.
public enum ApplyOutcome: Sendable, Hashable {
    /// The plan was installed, replacing what was there.
    case applied(digest: String)
    /// The same plan (same digest) was already enforced; nothing was sent.
    case unchanged(digest: String)
    /// The plan differed from the enforced one only in set elements, and only those changed
    /// (deleted and added in one transaction).
    case updated(digest: String, elementsRemoved: Int, elementsAdded: Int)

    /// The digest now enforced.
    public var digest: String {
        switch self {
        case .applied(let digest), .unchanged(let digest), .updated(let digest, _, _): digest
        }
    }
}
