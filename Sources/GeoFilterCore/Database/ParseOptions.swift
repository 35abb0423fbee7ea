/// How strictly data files are read, and the limits that protect memory on hostile input.
public struct ParseOptions: Sendable, Hashable {
    /// When true, a malformed row is counted and reported (see ``ParseReport``) instead of
    /// stopping the load with an error.
    public var lenient: Bool
    /// The most rows (of all files of one load) accepted.
    ///
    /// Rows are kept until the load flattens them (about 16 bytes per IPv4 row, 48 per IPv6
    /// row), so this cap is what bounds a load's memory on hostile input: at the default of
    /// 10 million, a few hundred MB. Real country data has under 1 million rows (IPFire
    /// 660,000; a GeoLite2 City file, read as country data, about 5 million).
    public var maximumRows: Int
    /// The most bytes one compressed file may expand to.
    public var maximumDecompressedBytes: Int

    /// Strict parsing with generous limits (10 million rows, 4 GiB decompressed).
    public init(lenient: Bool = false, maximumRows: Int = 10_000_000, maximumDecompressedBytes: Int = 4 << 30) {
        self.lenient = lenient
        self.maximumRows = maximumRows
        self.maximumDecompressedBytes = maximumDecompressedBytes
    }

    /// The default: strict.
    public static let strict = ParseOptions()
    /// Lenient: malformed rows are skipped and reported.
    public static let lenient = ParseOptions(lenient: true)
}
