/// DB-IP "IP to Country Lite" CSV: no header, `ip_start,ip_end,country` per row (RFC 4180,
/// quoting allowed), IPv4 rows then IPv6 rows; `ZZ` marks unknown space and stays a
/// pseudo-code.
enum DBIPFormat {
    static func read(path: String, into collector: inout GeoRowCollector) throws(GeoFilterError) {
        try read(InputFile(path: path, decompressedLimit: collector.options.maximumDecompressedBytes), into: &collector)
    }

    static func read(_ input: InputFile, into collector: inout GeoRowCollector) throws(GeoFilterError) {
        var reader = LineReader(input)
        let file = collector.beginFile(reader.name)
        var fields: [(start: Int, end: Int)] = []
        try reader.forEachLine { bytes, start, end, line throws(GeoFilterError) in
            if start == end { return }
            guard FieldSplitter.split(bytes, start, end, separator: UInt8(ascii: ","), quotes: true, into: &fields) else {
                return try collector.malformed("a quoted field is not closed", file: file, line: line, field: nil)
            }
            guard fields.count == 3 else {
                return try collector.malformed(
                    "expected 3 fields (ip_start,ip_end,country), found \(fields.count)", file: file, line: line, field: nil)
            }
            try RangeRow.add(bytes, low: fields[0], high: fields[1], code: fields[2], names: ("ip_start", "ip_end", "country"),
                to: &collector, file: file, line: line)
        }
    }
}

/// Adds a row given as two address fields of the same family and a code field, with the
/// checks every range format needs.
enum RangeRow {
    @inline(__always)
    static func add(
        _ bytes: Span<UInt8>, low: (start: Int, end: Int), high: (start: Int, end: Int), code: (start: Int, end: Int),
        names: (String, String, String), to collector: inout GeoRowCollector, file: UInt16, line: Int
    ) throws(GeoFilterError) {
        guard let region = regionCode(bytes, code) else {
            return try collector.malformed(
                "'\(FieldSplitter.quoted(bytes, code.start, code.end))' is not a two-letter country code", file: file,
                line: line, field: names.2)
        }
        let lowIsIPv6 = FieldSplitter.contains(UInt8(ascii: ":"), bytes, low.start, low.end)
        guard lowIsIPv6 == FieldSplitter.contains(UInt8(ascii: ":"), bytes, high.start, high.end) else {
            return try collector.malformed("the range's two ends are of different families", file: file, line: line, field: names.1)
        }
        if lowIsIPv6 {
            try add(UInt128.self, bytes, low, high, region, names, &collector, file, line)
        } else {
            try add(UInt32.self, bytes, low, high, region, names, &collector, file, line)
        }
    }

    @inline(__always)
    private static func add<V: AddressValue>(
        _: V.Type, _ bytes: Span<UInt8>, _ low: (start: Int, end: Int), _ high: (start: Int, end: Int), _ region: RegionCode,
        _ names: (String, String, String), _ collector: inout GeoRowCollector, _ file: UInt16, _ line: Int
    ) throws(GeoFilterError) {
        guard let a = try? V.parseAddress(bytes, from: low.start, to: low.end) else {
            return try bad(bytes, low, names.0, &collector, file, line)
        }
        guard let b = try? V.parseAddress(bytes, from: high.start, to: high.end) else {
            return try bad(bytes, high, names.1, &collector, file, line)
        }
        guard a <= b else { return try collector.malformed("the range ends before it starts", file: file, line: line, field: names.1) }
        try collector.add(a, b, region, file: file, line: line)
    }

    static func bad(
        _ bytes: Span<UInt8>, _ field: (start: Int, end: Int), _ name: String, _ collector: inout GeoRowCollector,
        _ file: UInt16, _ line: Int
    ) throws(GeoFilterError) {
        try collector.malformed(
            "'\(FieldSplitter.quoted(bytes, field.start, field.end))' is not an IP address", file: file, line: line, field: name)
    }
}
