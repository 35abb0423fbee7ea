/// One row of GeoIP data: an inclusive range of one family and its region code.
struct GeoRow<V: AddressValue> {
    var low: V
    var high: V
    var code: RegionCode
    /// Where the row came from (index into the collector's file names, line number).
    var file: UInt16
    var line: Int32
}

/// Collects rows from the format parsers, enforcing the row limit and lenient/strict mode,
/// then hands them to ``GeoDatabase`` to flatten.
struct GeoRowCollector {
    var rows4: [GeoRow<UInt32>] = []
    var rows6: [GeoRow<UInt128>] = []
    var report = ParseReport()
    var files: [String] = []
    let options: ParseOptions
    /// Called with the running row count every 65,536 rows (progress for a host UI).
    var rowProgress: ((Int) -> Void)?

    init(options: ParseOptions, rowProgress: ((Int) -> Void)? = nil) {
        self.options = options
        self.rowProgress = rowProgress
    }

    /// Registers a file and returns its index for rows.
    mutating func beginFile(_ name: String) -> UInt16 {
        files.append(name)
        return UInt16(truncatingIfNeeded: files.count - 1)
    }

    /// Adds a row of either family.
    @inline(__always)
    mutating func add<V: AddressValue>(_ low: V, _ high: V, _ code: RegionCode, file: UInt16, line: Int) throws(GeoFilterError) {
        if let low = low as? UInt32, let high = high as? UInt32 {
            try add(low, high, code, file: file, line: line)
        } else {
            try add(UInt128(low), UInt128(high), code, file: file, line: line)
        }
    }

    @inline(__always)
    mutating func add(_ low: UInt32, _ high: UInt32, _ code: RegionCode, file: UInt16, line: Int) throws(GeoFilterError) {
        try countRow(file: file, line: line)
        if rows4.count == rows4.capacity { grow(&rows4) }
        rows4.append(GeoRow(low: low, high: high, code: code, file: file, line: Int32(truncatingIfNeeded: line)))
    }

    @inline(__always)
    mutating func add(_ low: UInt128, _ high: UInt128, _ code: RegionCode, file: UInt16, line: Int) throws(GeoFilterError) {
        try countRow(file: file, line: line)
        if rows6.count == rows6.capacity { grow(&rows6) }
        rows6.append(GeoRow(low: low, high: high, code: code, file: file, line: Int32(truncatingIfNeeded: line)))
    }

    /// Doubles a full row buffer, but never past the row limit: doubling alone would take a
    /// buffer of 2^25 rows to 2^26 when the limit is a little above 2^25.
    @inline(never)
    private func grow<V>(_ rows: inout [GeoRow<V>]) {
        let limit = Swift.max(options.maximumRows, 0) + 1
        rows.reserveCapacity(Swift.min(Swift.max(rows.capacity * 2, 1024), Swift.max(limit, rows.count + 1)))
    }

    @inline(__always)
    private mutating func countRow(file: UInt16, line: Int) throws(GeoFilterError) {
        report.rows += 1
        if report.rows & 0xFFFF == 0, let rowProgress { rowProgress(report.rows) }
        if report.rows > options.maximumRows {
            throw GeoFilterError(
                .limitExceeded, "more than \(options.maximumRows) rows; raise ParseOptions.maximumRows if this is expected",
                location: .init(path: files[Int(file)], line: line))
        }
    }

    /// Handles a malformed row: an error in strict mode, a counted skip in lenient mode.
    mutating func malformed(_ message: String, file: UInt16, line: Int, field: String?) throws(GeoFilterError) {
        let location = GeoFilterError.Location(path: files[Int(file)], line: line, field: field)
        guard options.lenient else { throw GeoFilterError(.invalidInput, message, location: location) }
        report.skip(.init(location: location, message: message))
    }

    func location(file: UInt16, line: Int32) -> GeoFilterError.Location {
        .init(path: files[Int(file)], line: Int(line))
    }
}
