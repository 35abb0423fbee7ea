/// How strictly data files are read, and the limits that protect memory on hostile input.
public struct ParseOptions: Sendable, Hashable {
    /// When true, a malformed row is counted and reported (see ``ParseReport``) instead of
    /// stopping the load with an error.
    public var lenient: Bool
    /// The most rows (of all files of one load) accepted.
    public var maximumRows: Int
    /// The most bytes one compressed file may expand to.
    public var maximumDecompressedBytes: Int

    /// Strict parsing with generous limits (50 million rows, 4 GiB decompressed).
    public init(lenient: Bool = false, maximumRows: Int = 50_000_000, maximumDecompressedBytes: Int = 4 << 30) {
        self.lenient = lenient
        self.maximumRows = maximumRows
        self.maximumDecompressedBytes = maximumDecompressedBytes
    }

    /// The default: strict.
    public static let strict = ParseOptions()
    /// Lenient: malformed rows are skipped and reported.
    public static let lenient = ParseOptions(lenient: true)
}
