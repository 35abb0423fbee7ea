/// What a load found besides the networks: skipped rows, overlaps, flags.
public struct ParseReport: Sendable, Hashable {
    /// One problem found in the data, with where it is.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        /// The file, line and field.
        public var location: GeoFilterError.Location
        /// What is wrong.
        public var message: String
        public var description: String { "\(location): \(message)" }
    }

    /// The number of data rows read (networks, ranges; not comments or headers).
    public var rows = 0
    /// Rows skipped by design: statuses other than allocated/assigned, ASN rows, rows
    /// without a country.
    public var ignoredRows = 0
    /// Malformed rows skipped in lenient mode.
    public var skippedRows = 0
    /// The first skipped rows (at most ``maximumExamples``), with why.
    public var skippedExamples: [Finding] = []
    /// Rows that overlap a row with a different code. Where rows overlap, the more specific
    /// (smaller) row wins; between rows of equal size, the later row in the input wins.
    public var conflictingRows = 0
    /// The first conflicts (at most ``maximumExamples``).
    public var conflictExamples: [Finding] = []
    /// Rows that overlap a row with the same code (harmless; merged).
    public var duplicateRows = 0
    /// Rows flagged anonymous proxy, satellite provider or anycast (GeoLite2), by flag.
    public var flaggedRows: [String: Int] = [:]

    /// How many examples of each kind are kept.
    public static let maximumExamples = 10

    mutating func skip(_ finding: Finding) {
        skippedRows += 1
        if skippedExamples.count < Self.maximumExamples { skippedExamples.append(finding) }
    }

    mutating func conflict(_ finding: Finding) {
        conflictingRows += 1
        if conflictExamples.count < Self.maximumExamples { conflictExamples.append(finding) }
    }
}
