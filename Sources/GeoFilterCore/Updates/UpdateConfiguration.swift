/// How ``DataUpdater`` downloads and what it accepts.
public struct UpdateConfiguration: Sendable, Hashable {
    /// Network time limits, in seconds.
    public struct Timeouts: Sendable, Hashable {
        /// Establishing the connection (TLS included).
        public var connect: Double
        /// No byte received for this long: the transfer has stalled.
        public var stall: Double
        /// The whole transfer of one file.
        public var total: Double

        public init(connect: Double = 20, stall: Double = 60, total: Double = 900) {
            self.connect = connect
            self.stall = stall
            self.total = total
        }
    }

    /// Network time limits.
    public var timeouts: Timeouts
    /// Further attempts after a failed one (timeouts, connection errors, HTTP 5xx and 429).
    public var retries: Int
    /// Seconds before the first retry; each further retry waits twice as long.
    public var backoff: Double
    /// The share of the previous copy's IPv4 or IPv6 addresses the new data may lose (0.05: 5%).
    public var maximumCoverageLoss: Double
    /// The share of the previous copy's countries the new data may lose.
    public var maximumCountryLoss: Double
    /// The largest file accepted, in bytes.
    public var maximumDownloadBytes: UInt64
    /// How the downloaded files are parsed (strict by default).
    public var parseOptions: ParseOptions

    public init(
        timeouts: Timeouts = Timeouts(), retries: Int = 3, backoff: Double = 2, maximumCoverageLoss: Double = 0.05,
        maximumCountryLoss: Double = 0.05, maximumDownloadBytes: UInt64 = 1 << 30, parseOptions: ParseOptions = .strict
    ) {
        self.timeouts = timeouts
        self.retries = max(0, retries)
        self.backoff = max(0, backoff)
        self.maximumCoverageLoss = maximumCoverageLoss
        self.maximumCountryLoss = maximumCountryLoss
        self.maximumDownloadBytes = maximumDownloadBytes
        self.parseOptions = parseOptions
    }
}

/// What an update is doing, in order, for a host UI or the demo's progress bar.
public enum UpdateEvent: Sendable, Hashable {
    /// A request is being sent; `conditional` when it carries the cached copy's validators.
    case requesting(url: String, conditional: Bool)
    /// Bytes of a file have arrived (`total` when the server said the size).
    case receiving(url: String, received: UInt64, total: UInt64?)
    /// The server answered 304: the cached file is current.
    case notModified(url: String)
    /// A file arrived completely.
    case downloaded(url: String, bytes: UInt64)
    /// An attempt failed and will be repeated after `delay` seconds.
    case retrying(url: String, attempt: Int, delay: Double, reason: String)
    /// A file matched the checksum its source publishes (`md5`, `sha256`).
    case checksumVerified(url: String, algorithm: String)
    /// Rows parsed so far (reported every 65,536 rows and at the end).
    case parsed(rows: Int)
    /// The new data passed validation against the previous copy.
    case validated(UpdateFigures)
    /// The update is over.
    case finished(UpdateResult)
}

/// Counts describing one copy of the data, kept in the cache manifest.
public struct UpdateFigures: Sendable, Hashable, Codable {
    /// Ranges with a region, IPv4 and IPv6.
    public var ipv4Ranges: Int
    public var ipv6Ranges: Int
    /// IPv4 addresses with a region.
    public var ipv4Addresses: UInt64
    /// IPv6 addresses as a floating-point count (2^128 does not fit an integer).
    public var ipv6Addresses: Double
    /// The countries with at least one range.
    public var countries: [String]

    init(_ database: GeoDatabase) {
        // The database is flattened (each address has at most one region), so the regions'
        // figures add up.
        var countries: [String] = []
        ipv4Ranges = 0
        ipv6Ranges = 0
        ipv4Addresses = 0
        ipv6Addresses = 0
        for region in database.regions {
            let set = database.addresses(of: region)
            ipv4Ranges += set.rangeCount(.ipv4)
            ipv6Ranges += set.rangeCount(.ipv6)
            ipv4Addresses += set.ipv4AddressCount
            ipv6Addresses += set.ipv6AddressCount
            if let country = region.country, !set.isEmpty { countries.append(country.alpha2) }
        }
        self.countries = countries.sorted()
    }
}

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
