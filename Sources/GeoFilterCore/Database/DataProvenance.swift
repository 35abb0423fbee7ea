/// Where a ``GeoDatabase``'s data came from, for a host UI's "Last update / N subnets" line
/// and for the attribution the data's licence requires.
public struct DataProvenance: Sendable, Hashable, Codable {
    /// The source's name (`IPFire Location (tor-geoipdb)`, `DB-IP IP to Country Lite`, ...).
    public var sourceName: String
    /// The source's version or date as the data states it (`2026-06-25`), if it does.
    public var version: String?
    /// When the data was generated, as seconds since 1970, if the data says.
    public var generatedAt: Int64?
    /// The licence (`CC BY-SA 4.0`).
    public var licence: String
    /// The attribution text the licence requires.
    public var attribution: String
    /// The files read.
    public var files: [String]

    public init(
        sourceName: String, version: String? = nil, generatedAt: Int64? = nil, licence: String,
        attribution: String, files: [String] = []
    ) {
        self.sourceName = sourceName
        self.version = version
        self.generatedAt = generatedAt
        self.licence = licence
        self.attribution = attribution
        self.files = files
    }

    /// Whether the data is older than `maximumAge` seconds at `now` (seconds since 1970).
    /// Data without a date counts as stale: nobody can say it is fresh.
    public func isStale(maximumAge: Int64, now: Int64) -> Bool {
        guard let generatedAt else { return true }
        return now - generatedAt > maximumAge
    }
}
