/// What a cache directory holds: the last good copy of the data and how it was fetched.
/// Written last, atomically, so it always describes files that are complete.
public struct CacheManifest: Sendable, Hashable, Codable {
    /// One downloaded file kept for conditional requests.
    public struct File: Sendable, Hashable, Codable {
        /// Where the file was downloaded from.
        public var url: String
        /// The file's name under `downloads/`.
        public var name: String
        /// The server's `ETag`, sent back as `If-None-Match`.
        public var etag: String?
        /// The server's `Last-Modified`, sent back as `If-Modified-Since`.
        public var lastModified: String?
        /// The SHA-256 of the file (lower-case hex); a cached file that no longer matches is not
        /// used for conditional requests.
        public var sha256: String
        /// The file's size.
        public var bytes: UInt64
    }

    /// The manifest layout version.
    public var format: Int
    /// The source, as its SPEC (credentials left out).
    public var source: String
    /// The data's provenance (name, version, licence, attribution).
    public var provenance: DataProvenance
    /// When this copy was downloaded and validated (seconds since 1970, UTC).
    public var fetchedAt: Int64
    /// When the source was last found unchanged or updated (seconds since 1970, UTC).
    public var checkedAt: Int64
    /// The downloaded files the copy was built from.
    public var files: [File]
    /// Counts describing the copy (compared with the next update's data).
    public var figures: UpdateFigures
    /// The snapshot file holding the data, and its SHA-256.
    public var snapshot: String
    public var snapshotSHA256: String

    static let currentFormat = 1
}
