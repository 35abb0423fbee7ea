/// How an update ended.
public struct UpdateResult: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        /// New data was validated and is now the cache's last good copy.
        case updated
        /// Every file was unchanged (HTTP 304 or the same content): the cache stays as it was.
        case unchanged
    }

    /// Whether the cache's copy was replaced.
    public var outcome: Outcome
    /// The manifest of the cache's last good copy after the update.
    public var manifest: CacheManifest
}
