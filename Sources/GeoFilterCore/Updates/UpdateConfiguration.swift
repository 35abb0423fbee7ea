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
